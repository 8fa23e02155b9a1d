import { OutboxRelay } from '../../../platform/events/relay.js';
import { OutboxTail } from '../../../platform/events/tail.js';
import { InternalScope } from '../../../platform/auth/caller.js';
import { PeerClient } from '../../../platform/http/peer.js';
import type { SubgraphRuntime, SubgraphServices } from '../../../platform/subgraph.js';
import { settingsSchema, type Settings } from '../settings.js';
import { outboxMetrics } from './metrics.js';
import { OutboxPruner } from './pruner.js';
import { MassSender } from './massSender.js';
import { Publisher } from './publisher.js';
import { PersonRoleChecker } from './personRoles.js';
import { RoleChecker } from './roles.js';
import { WebhookDispatcher } from './webhooks.js';
import { Limiter } from '../../../platform/runtime/limiter.js';
import { FeedAccess } from './feedAccess.js';
import { FeedHub } from './feedHub.js';
import { FeedLoads } from './feedLoads.js';
import { RoleChangeFollower } from './roleChanges.js';
import { OUTBOX_CHANNEL, OUTBOX_RAW_CHANNEL, OUTBOX_TABLE } from './store.js';

/**
 * One outbox row: a message published, or its status changed; or what a grantee may read of
 * the inbox changed (AccessChanged: no message, service or status; `grantee` set).
 */
export interface OutboxEvent {
  position: number;
  kind: 'Published' | 'StatusChanged' | 'AccessChanged';
  messageId: string;
  recipientOrgnr: string;
  serviceCode: string;
  status: string;
  grantee: string | null;
}

export interface Services extends SubgraphServices {
  settings: Settings;
  enhetsregisteret: PeerClient;
  roles: RoleChecker;
  /** Persons' roles, asked with the internal scope that matches on person identifiers. */
  personRoles: PersonRoleChecker;
  events: OutboxTail<OutboxEvent>;
  /** Routes the outbox to this process's live feeds. */
  feeds: FeedHub;
  /** The live feeds' access answers, dropped by the events that change them. */
  feedAccess: FeedAccess;
  /** An event's message and unread counts, read once for all feeds. */
  feedLoads: FeedLoads;
  /** Queues the live feeds' statements (backpressure in place of pool timeouts). */
  feedLimiter: Limiter;
  publisher: Publisher;
  pruner: OutboxPruner;
  massSender: MassSender;
  webhooks: WebhookDispatcher;
}

/**
 * The publisher, the mass sender, the outbox relay and tail, and the client of Enhetsregisteret:
 * one of each per process.
 */
export async function startServices(runtime: SubgraphRuntime): Promise<Services> {
  const settings = settingsSchema.parse(runtime.settings);
  const url = runtime.peers.enhetsregisteret;
  if (!url)
    throw new Error('meldingsboks needs the URL of enhetsregisteret (peers.enhetsregisteret)');
  const enhetsregisteret = new PeerClient(
    'enhetsregisteret',
    url,
    runtime.identity,
    'meldingsboks',
  );
  const events = new OutboxTail<OutboxEvent>({
    databaseUrl: runtime.databaseUrl,
    table: OUTBOX_TABLE,
    channel: OUTBOX_CHANNEL,
    pollMs: settings.outboxPollMs,
    log: runtime.log,
    map: (raw) => ({
      position: Number(raw.position),
      kind: raw.kind as OutboxEvent['kind'],
      messageId: String(raw.message_id ?? ''),
      recipientOrgnr: String(raw.recipient_orgnr),
      serviceCode: String(raw.service_code ?? ''),
      status: String(raw.status ?? ''),
      grantee: (raw.grantee as string | null) ?? null,
    }),
  });
  const relay = new OutboxRelay({
    databaseUrl: runtime.databaseUrl,
    table: OUTBOX_TABLE,
    rawChannel: OUTBOX_RAW_CHANNEL,
    channel: OUTBOX_CHANNEL,
    lockName: 'meldingsboks.outbox.relay',
    leaseTable: 'meldingsboks.relay_lease',
    leaseMs: settings.relayLeaseMs,
    pollMs: settings.outboxPollMs,
    log: runtime.log,
  });
  const roles = new RoleChecker(enhetsregisteret, settings.roleCacheMs);
  const personRoles = new PersonRoleChecker(
    new PeerClient('enhetsregisteret', url, runtime.identity, 'meldingsboks', [
      InternalScope.READ_PERSON_ROLES,
    ]),
    settings.roleCacheMs,
  );
  const feedLimiter = new Limiter(settings.feedDbConcurrency);
  const feedAccess = new FeedAccess(runtime.orm, roles, personRoles, feedLimiter);
  const roleChanges = new RoleChangeFollower(
    runtime.databaseUrl,
    [roles, personRoles, feedAccess],
    runtime.log,
    settings.outboxPollMs,
  );
  const feeds = new FeedHub(events, feedAccess, roleChanges, settings.feedMaxQueued);
  const feedLoads = new FeedLoads(runtime.orm, feedLimiter);
  await relay.start();
  try {
    await events.start();
    await roleChanges.start();
  } catch (err) {
    await events.close();
    await roleChanges.close();
    await relay.close();
    throw err;
  }
  const publisher = new Publisher(runtime.orm, settings.publishIntervalMs, runtime.log);
  publisher.start();
  const pruner = new OutboxPruner(
    runtime.orm,
    {
      retentionMs: settings.outboxRetentionDays * 86_400_000,
      intervalMs: settings.outboxPruneIntervalMs,
    },
    runtime.log,
  );
  pruner.start();
  const massSender = new MassSender(
    runtime.orm,
    enhetsregisteret,
    {
      intervalMs: settings.massSendingIntervalMs,
      batch: settings.massSendingBatch,
      leaseMs: settings.massSendingLeaseMs,
    },
    runtime.log,
  );
  massSender.start();
  const webhooks = new WebhookDispatcher(
    runtime.orm,
    roles,
    personRoles,
    {
      pollMs: settings.webhookPollMs,
      timeoutMs: settings.webhookTimeoutMs,
      leaseMs: settings.webhookLeaseMs,
      maxFailures: settings.webhookMaxFailures,
      backoffBaseMs: settings.webhookBackoffBaseMs,
      backoffCapMs: settings.webhookBackoffCapMs,
    },
    runtime.log,
  );
  webhooks.start();
  return {
    settings,
    enhetsregisteret,
    roles,
    personRoles,
    events,
    feeds,
    feedAccess,
    feedLoads,
    feedLimiter,
    publisher,
    pruner,
    massSender,
    webhooks,
    metrics: outboxMetrics(runtime.orm, relay),
    close: async () => {
      await webhooks.stop();
      await massSender.stop();
      await pruner.stop();
      await publisher.stop();
      feeds.close();
      await roleChanges.close();
      await events.close();
      await relay.close();
    },
  };
}
