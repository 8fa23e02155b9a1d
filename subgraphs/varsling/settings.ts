import { z } from 'zod';

/** Varsling's own settings (from the runner's environment, or a test). */
export const settingsSchema = z.object({
  /** Turn meldingsboks' events into notification orders (needs Enhetsregisteret as a peer). */
  engine: z.boolean().default(true),
  /** The schema-qualified outbox of meldingsboks and the channel its relay announces on. */
  /** Meldingsboks' event contract, version 1: the view varsling reads (never the outbox table). */
  outboxTable: z.string().default('meldingsboks.events_v1'),
  /** The contract's function by which varsling registers what it has handled (holds pruning). */
  outboxAcknowledge: z.string().default('meldingsboks.acknowledge_events_v1'),
  outboxChannel: z.string().default('meldingsboks_outbox'),
  outboxPollMs: z.number().int().positive().default(1_000),
  /** Attempts at an event that fails for a reason of its own before it is parked. */
  engineMaxAttempts: z.number().int().positive().default(5),
  /** Wait before the first retry of a failing event or batch; doubles each time (≤ 30 s). */
  engineRetryMs: z.number().int().positive().default(500),
  /** Send due notifications. */
  dispatch: z.boolean().default(true),
  dispatchIntervalMs: z.number().int().positive().default(1_000),
  /** How long a claim on a notice holds without renewal (renewed every third of it). */
  dispatchLeaseMs: z.number().int().positive().default(60_000),
  /** A send with no answer by then is given up and retried later. */
  sendTimeoutMs: z.number().int().positive().default(60_000),
  /** SMTP server (smtp://user:pass@host:port); unset: a local sink that logs. */
  smtpUrl: z.string().optional(),
  smtpFrom: z.string().default('Altinn <ikke-svar@altinn.no>'),
  /** HTTP SMS provider (POST JSON {from, to, text}); unset: a local sink that logs. */
  smsProviderUrl: z.string().optional(),
  smsSender: z.string().default('Altinn'),
});

export type Settings = z.output<typeof settingsSchema>;
