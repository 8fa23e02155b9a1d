import { z } from 'zod';

/** Meldingsboks's own settings (from the runner's environment, or a test). */
export const settingsSchema = z.object({
  /** Largest attachment content stored in Postgres; larger ones are refused. */
  maxAttachmentBytes: z.number().int().positive().default(1_048_576),
  /** How often the publisher looks for messages whose requestedPublishTime has come. */
  publishIntervalMs: z.number().int().positive().default(1_000),
  /** How long Enhetsregisteret's answer on a firm's REGN/REVI role is trusted (at most 60 s). */
  roleCacheMs: z.number().int().min(0).max(60_000).default(60_000),
  /**
   * Statements the live feeds run at once (access answers, an event's message, unread counts),
   * out of the pool's 10 connections: the rest queue for a turn instead of timing out on the pool.
   */
  feedDbConcurrency: z.number().int().positive().max(8).default(4),
  /** Rows a live feed may have waiting; past that it reads on from the outbox table instead. */
  feedMaxQueued: z.number().int().positive().default(10_000),
  /** Safety poll of the outbox when no NOTIFY arrives. */
  outboxPollMs: z.number().int().positive().default(1_000),
  /** How long the outbox relay's lead holds unrenewed (each poll renews it): a frozen leader is
   * replaced after at most this long. */
  relayLeaseMs: z.number().int().positive().default(10_000),
  /** Outbox rows are kept this long (and until every registered consumer has them), in days. */
  outboxRetentionDays: z.number().positive().default(30),
  /** How often the outbox is pruned. */
  outboxPruneIntervalMs: z.number().int().positive().default(60_000),
  /** How often the mass sender takes a step (a page of recipients, or a batch of messages). */
  massSendingIntervalMs: z.number().int().positive().default(1_000),
  /** Messages of a mass sending sent per step: with the interval, the throttle (20/s). */
  massSendingBatch: z.number().int().positive().max(1_000).default(20),
  /** How long a mass sending stays an instance's without a step before another takes it. */
  massSendingLeaseMs: z.number().int().positive().default(30_000),
  /** How often each instance looks for webhook subscriptions with events due. */
  webhookPollMs: z.number().int().positive().default(1_000),
  /** A webhook delivery with no answer by then has failed (and is retried). */
  webhookTimeoutMs: z.number().int().positive().default(10_000),
  /** How long an instance's claim on a subscription holds unrenewed (each delivery renews it). */
  webhookLeaseMs: z.number().int().positive().default(60_000),
  /** After this many consecutive failed deliveries a subscription is paused, with the reason. */
  webhookMaxFailures: z.number().int().positive().default(10),
  /** The first retry waits this long; each further one twice as long, up to the cap. */
  webhookBackoffBaseMs: z.number().int().positive().default(1_000),
  webhookBackoffCapMs: z.number().int().positive().default(3_600_000),
  /** After a rotation the previous secret still signs this long, beside the new one. */
  webhookSecretGraceMs: z.number().int().positive().default(86_400_000),
  /** Subscriptions one organisation may hold. */
  webhookMaxPerOrg: z.number().int().positive().default(10),
  /** Plain http to 127.0.0.1, ::1 or localhost is accepted (development and tests); else https only. */
  webhookAllowLoopbackHttp: z.boolean().default(false),
});

export type Settings = z.output<typeof settingsSchema>;
