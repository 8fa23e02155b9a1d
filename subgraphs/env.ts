import path from 'node:path';
import { z } from 'zod';
import { openDatabase, type Database } from '../platform/db/database.js';
import type { Logger } from '../platform/runtime/logger.js';
import {
  commonEnv,
  loadEnv,
  optionalUrl,
  pairs,
  port,
  positiveInt,
} from '../platform/runtime/env.js';
import type { SubgraphDefinition } from '../platform/subgraph.js';
import { subgraphs } from './registry.js';

/** `ENHETSREGISTERET_PORT` and so on. */
export const portVariable = (subgraph: Pick<SubgraphDefinition, 'name'>) =>
  `${subgraph.name.toUpperCase()}_PORT`;

export const subgraphEnv = commonEnv.extend({
  /** Use this PostgreSQL server; when unset, an embedded one is started (dev runner only). */
  DATABASE_URL: optionalUrl(),
  /** Data directory of the embedded PostgreSQL. */
  EMBEDDED_PG_DIR: z.string().default('.data/pg'),
  /** Port of the embedded PostgreSQL. */
  EMBEDDED_PG_PORT: port(54329),
  /** Load the demo data set into empty tables on start. */
  SEED_DEMO_DATA: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  ...Object.fromEntries(subgraphs.map((s) => [portVariable(s), port(s.defaultPort)])),
  /** GraphQL URLs of the other subgraphs (`name=url,…`) for a subgraph run alone; the dev runner knows them. */
  PEER_URLS: pairs(z.url()),
  /** Meldingsboks: largest attachment content stored in Postgres, in bytes. */
  MELDINGSBOKS_MAX_ATTACHMENT_BYTES: positiveInt(1_048_576),
  /** Meldingsboks: how often scheduled messages are published, in milliseconds. */
  MELDINGSBOKS_PUBLISH_INTERVAL_MS: positiveInt(1_000),
  /** Meldingsboks: how long a firm's REGN/REVI role is trusted, in milliseconds (at most 60 000). */
  MELDINGSBOKS_ROLE_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(60_000),
  /** Meldingsboks: statements the live feeds run at once; the rest queue (at most 8 of the pool's 10). */
  MELDINGSBOKS_FEED_DB_CONCURRENCY: z.coerce.number().int().positive().max(8).default(4),
  /** Meldingsboks: rows a live feed may have waiting before it reads on from the outbox table. */
  MELDINGSBOKS_FEED_MAX_QUEUED: positiveInt(10_000),
  /** Meldingsboks: how long the outbox relay's lead holds unrenewed; a frozen leader is replaced after it (ms). */
  MELDINGSBOKS_RELAY_LEASE_MS: positiveInt(10_000),
  /** Meldingsboks: days outbox events are kept (and until every registered consumer has them). */
  MELDINGSBOKS_OUTBOX_RETENTION_DAYS: positiveInt(30),
  /** Meldingsboks: how often the mass sender takes a step, in milliseconds. */
  MELDINGSBOKS_MASS_SENDING_INTERVAL_MS: positiveInt(1_000),
  /** Meldingsboks: messages of a mass sending sent per step (the throttle, with the interval). */
  MELDINGSBOKS_MASS_SENDING_BATCH: positiveInt(20),
  /** Meldingsboks: a webhook delivery with no answer by then has failed and is retried (ms). */
  MELDINGSBOKS_WEBHOOK_TIMEOUT_MS: positiveInt(10_000),
  /** Meldingsboks: consecutive failed deliveries after which a webhook is paused. */
  MELDINGSBOKS_WEBHOOK_MAX_FAILURES: positiveInt(10),
  /** Meldingsboks: webhooks one organisation may hold. */
  MELDINGSBOKS_WEBHOOK_MAX_PER_ORG: positiveInt(10),
  /** Meldingsboks: how long the previous webhook secret still signs after a rotation (ms). */
  MELDINGSBOKS_WEBHOOK_SECRET_GRACE_MS: positiveInt(86_400_000),
  /** Meldingsboks: accept plain http webhook URLs to 127.0.0.1/localhost (development only). */
  MELDINGSBOKS_WEBHOOK_ALLOW_LOOPBACK_HTTP: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Varsling: SMTP server for e-mail notices (smtp://user:pass@host:port); unset: logged only. */
  SMTP_URL: optionalUrl(),
  /** Varsling: the From of e-mail notices. */
  SMTP_FROM: z.string().default('Altinn <ikke-svar@altinn.no>'),
  /** Varsling: HTTP SMS provider (POST JSON {from, to, text}); unset: logged only. */
  SMS_PROVIDER_URL: optionalUrl(),
  /** Varsling: the sender name of SMS notices. */
  SMS_SENDER: z.string().default('Altinn'),
  /** Varsling: how long a dispatcher's claim on a notice holds without renewal, in milliseconds. */
  VARSLING_DISPATCH_LEASE_MS: positiveInt(60_000),
  /** Varsling: a send with no answer by then is retried later (same Message-ID / key), in ms. */
  VARSLING_SEND_TIMEOUT_MS: positiveInt(60_000),
});

export type SubgraphEnv = z.output<typeof subgraphEnv> & Record<string, unknown>;

/** Reads the subgraph processes' configuration (once per process). */
export function loadSubgraphEnv(): SubgraphEnv {
  return loadEnv(subgraphEnv) as SubgraphEnv;
}

/** The settings a subgraph is started with, from its variables. */
export function settingsOf(env: SubgraphEnv, subgraph: Pick<SubgraphDefinition, 'name'>) {
  switch (subgraph.name) {
    case 'meldingsboks':
      return {
        maxAttachmentBytes: env.MELDINGSBOKS_MAX_ATTACHMENT_BYTES,
        publishIntervalMs: env.MELDINGSBOKS_PUBLISH_INTERVAL_MS,
        roleCacheMs: env.MELDINGSBOKS_ROLE_CACHE_MS,
        feedDbConcurrency: env.MELDINGSBOKS_FEED_DB_CONCURRENCY,
        feedMaxQueued: env.MELDINGSBOKS_FEED_MAX_QUEUED,
        relayLeaseMs: env.MELDINGSBOKS_RELAY_LEASE_MS,
        outboxRetentionDays: env.MELDINGSBOKS_OUTBOX_RETENTION_DAYS,
        massSendingIntervalMs: env.MELDINGSBOKS_MASS_SENDING_INTERVAL_MS,
        massSendingBatch: env.MELDINGSBOKS_MASS_SENDING_BATCH,
        webhookTimeoutMs: env.MELDINGSBOKS_WEBHOOK_TIMEOUT_MS,
        webhookMaxFailures: env.MELDINGSBOKS_WEBHOOK_MAX_FAILURES,
        webhookMaxPerOrg: env.MELDINGSBOKS_WEBHOOK_MAX_PER_ORG,
        webhookSecretGraceMs: env.MELDINGSBOKS_WEBHOOK_SECRET_GRACE_MS,
        webhookAllowLoopbackHttp: env.MELDINGSBOKS_WEBHOOK_ALLOW_LOOPBACK_HTTP,
      };
    case 'varsling':
      return {
        smtpUrl: env.SMTP_URL,
        smtpFrom: env.SMTP_FROM,
        smsProviderUrl: env.SMS_PROVIDER_URL,
        smsSender: env.SMS_SENDER,
        dispatchLeaseMs: env.VARSLING_DISPATCH_LEASE_MS,
        sendTimeoutMs: env.VARSLING_SEND_TIMEOUT_MS,
      };
    default:
      return {};
  }
}

/** The configured port of one subgraph. */
export function portOf(env: SubgraphEnv, subgraph: SubgraphDefinition): number {
  return env[portVariable(subgraph)] as number;
}

/** The configured database: the server in DATABASE_URL, or the embedded one (started here). */
export function openConfiguredDatabase(env: SubgraphEnv, log: Logger): Promise<Database> {
  return openDatabase({
    url: env.DATABASE_URL,
    dataDir: path.resolve(env.EMBEDDED_PG_DIR),
    port: env.EMBEDDED_PG_PORT,
    database: 'dpv',
    log,
  });
}
