import type { EntityManager } from '@mikro-orm/postgresql';
import { OutboxTail } from '../../../platform/events/tail.js';
import type { Logger } from '../../../platform/runtime/logger.js';
import type { MikroORM } from '../../../platform/db/orm.js';
import type { PeerClient } from '../../../platform/http/peer.js';
import { osloDate } from '../domain/calendar.js';
import {
  effectiveRules,
  planOrders,
  windowOf,
  type Classification,
  type PlannedOrder,
  type PolicyRules,
} from '../domain/plan.js';
import { applicablePolicy } from '../domain/resolution.js';
import { NotificationPolicy } from '../entities/NotificationPolicy.js';
import { personTargets, type PersonRecipient } from '../domain/personTargets.js';
import { lookUp, type DirectoryEntry } from './directory.js';
import { personRecipients } from './personRecipients.js';
import { CLASSIFICATIONS } from '../../domain/classification.js';
import { inTransaction, type Run } from '../../../platform/db/transaction.js';
import { isDatabaseUnavailable } from '../../../platform/graphql/errors.js';

/** One row of meldingsboks' outbox, as far as varsling reads it. */
export interface MessageEventRow {
  position: number;
  kind: 'Published' | 'StatusChanged';
  messageId: string;
  recipientOrgnr: string;
  senderOrgnr: string;
  serviceCode: string;
  title: string;
  status: string;
  /** The sender's classification (null: not given, the policies decide). */
  classification: Classification | null;
  at: Date;
}

const CONSUMER = 'varsling.engine';
/** Statuses after which a reminder is no longer wanted: the message is handled. */
const READ = new Set(['Read', 'Confirmed']);
const ARCHIVED = new Set(['Archived']);
/** A purge by the recipient stops every notice not yet sent, the first one too. */
const PURGED = new Set(['PurgedByRecipient']);

export interface EngineOptions {
  orm: MikroORM;
  databaseUrl: string;
  /** Schema-qualified outbox of meldingsboks, and the channel its relay announces on. */
  outboxTable: string;
  outboxChannel: string;
  /** The contract's function `(consumer, position)` that registers what was handled. */
  outboxAcknowledge: string;
  enhetsregisteret: PeerClient;
  /** Who of the persons with their own contact details may read what; null: no persons notified. */
  meldingsboks: PeerClient | null;
  log: Logger;
  pollMs?: number;
  /** Attempts at an event failing for a reason of its own before it is parked. @default 5 */
  maxAttempts?: number;
  /** First retry delay, doubled each time up to 30 s. @default 500 */
  retryMs?: number;
}

/**
 * Turns meldingsboks' events into notification orders. It reads the outbox by position and
 * records its own position in the same transaction as the orders it writes, under a row lock:
 * several instances may run, each event is handled once, and a restart resumes where it was.
 */
export class Engine {
  private readonly tail: OutboxTail<MessageEventRow>;
  private readonly stop = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly o: EngineOptions) {
    this.tail = new OutboxTail<MessageEventRow>({
      databaseUrl: o.databaseUrl,
      table: o.outboxTable,
      channel: o.outboxChannel,
      log: o.log,
      pollMs: o.pollMs,
      map: (raw) => ({
        position: Number(raw.position),
        kind: raw.kind as MessageEventRow['kind'],
        messageId: String(raw.message_id),
        recipientOrgnr: String(raw.recipient_orgnr),
        senderOrgnr: String(raw.sender_orgnr ?? ''),
        serviceCode: String(raw.service_code),
        title: String(raw.title ?? ''),
        status: String(raw.status),
        classification: CLASSIFICATIONS.includes(String(raw.classification))
          ? (raw.classification as Classification)
          : null,
        at: raw.at as Date,
      }),
    });
  }

  async start(): Promise<void> {
    await this.tail.start();
    const [row] = await this.o.orm.em
      .getConnection()
      .execute<Array<{ position: string }>>(
        'select position from consumer_position where consumer = ?',
        [CONSUMER],
      );
    const position = Number(row?.position ?? 0);
    // Registered before the first event: pruning never passes what this engine has not handled.
    await this.o.orm.em
      .getConnection()
      .execute(`select ${this.o.outboxAcknowledge}(?, ?)`, [CONSUMER, position]);
    this.loop = this.run(position);
  }

  private async run(from: number): Promise<void> {
    let cursor = from;
    let failures = 0;
    while (!this.stop.signal.aborted) {
      try {
        for await (const batch of this.tail.read(cursor, this.stop.signal)) {
          await this.handleIsolating(batch);
          cursor = batch[batch.length - 1]!.position;
          failures = 0;
        }
      } catch (err) {
        if (this.stop.signal.aborted) return;
        const retryInMs = this.delay(++failures);
        this.o.log.error({ err, retryInMs }, 'notification engine failed on a batch; retrying');
        await this.sleep(retryInMs);
      }
    }
  }

  /** The wait before retry number `n`: doubling from `retryMs`, at most 30 s. */
  private delay(n: number): number {
    return Math.min((this.o.retryMs ?? 500) * 2 ** (n - 1), 30_000);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      this.stop.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), {
        once: true,
      });
    });
  }

  /**
   * A batch at once. If it fails for a reason of its own (not a database or peer that is away),
   * event by event: one that keeps failing is parked with its reason, and the rest flow on.
   */
  private async handleIsolating(batch: readonly MessageEventRow[]): Promise<void> {
    try {
      await this.handle(batch);
      return;
    } catch (err) {
      if (isTransient(err)) throw err;
    }
    for (const e of batch) await this.handleOrPark(e);
  }

  private async handleOrPark(e: MessageEventRow): Promise<void> {
    const maxAttempts = this.o.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.handle([e]);
        return;
      } catch (err) {
        // A database or peer that is away: retried from the batch, never parked.
        if (isTransient(err) || this.stop.signal.aborted) throw err;
        const at = { position: e.position, messageId: e.messageId, attempt };
        if (attempt >= maxAttempts) {
          await this.park(e, err, attempt);
          this.o.log.error({ ...at, err }, 'event parked: the engine could not handle it');
          return;
        }
        const retryInMs = this.delay(attempt);
        this.o.log.warn({ ...at, err, retryInMs }, 'event failed; retrying');
        await this.sleep(retryInMs);
      }
    }
  }

  /** Parks `e` and moves the position past it, unless another instance got there first. */
  private async park(e: MessageEventRow, err: unknown, attempts: number): Promise<void> {
    await inTransaction(this.o.orm.em.fork(), async (run) => {
      const [row] = await run<{ position: string }>(
        'select position from consumer_position where consumer = ? for update',
        [CONSUMER],
      );
      if (Number(row?.position ?? 0) >= e.position) return;
      await run(
        `insert into parked_event (position, event, reason, attempts) values (?, ?::jsonb, ?, ?)
         on conflict (position) do nothing`,
        [e.position, JSON.stringify(e), reasonOf(err), attempts],
      );
      await run('update consumer_position set position = ? where consumer = ?', [
        e.position,
        CONSUMER,
      ]);
      await run(`select ${this.o.outboxAcknowledge}(?, ?)`, [CONSUMER, e.position]);
    });
  }

  /**
   * Handles a parked event again, now, as an admin asked: orders are written as they would have
   * been (each insert is idempotent), without touching the engine's position.
   */
  async retryParked(e: MessageEventRow): Promise<void> {
    const { directory, policies, em, persons } = await this.prepare([e]);
    await inTransaction(em, (run) => this.apply(run, e, directory, policies, persons));
  }

  private async prepare(batch: readonly MessageEventRow[]) {
    const published = batch.filter((e) => e.kind === 'Published');
    const directory = await lookUp(
      this.o.enhetsregisteret,
      published.flatMap((e) => [e.recipientOrgnr, e.senderOrgnr]),
    );
    const em = this.o.orm.em.fork();
    const policies = published.length ? await em.find(NotificationPolicy, { retiredAt: null }) : [];
    const persons = await personRecipients(
      (sql, params) => em.getConnection().execute(sql, params),
      this.o.meldingsboks,
      published.map((e) => e.recipientOrgnr),
    );
    return { directory, policies, em, persons };
  }

  private apply(
    run: Run,
    e: MessageEventRow,
    directory: ReadonlyMap<string, DirectoryEntry>,
    policies: readonly NotificationPolicy[],
    persons: ReadonlyMap<string, readonly PersonRecipient[]>,
  ): Promise<void> {
    return e.kind === 'Published'
      ? this.published(run, e, directory, policies, persons.get(e.recipientOrgnr) ?? [])
      : this.statusChanged(run, e);
  }

  /** Handles a batch in one transaction with the position, skipping what was handled before. */
  async handle(batch: readonly MessageEventRow[]): Promise<void> {
    const { directory, policies, em, persons } = await this.prepare(batch);
    await inTransaction(em, async (run) => {
      await run(
        'insert into consumer_position (consumer, position) values (?, 0) on conflict do nothing',
        [CONSUMER],
      );
      const [row] = await run<{ position: string }>(
        'select position from consumer_position where consumer = ? for update',
        [CONSUMER],
      );
      const done = Number(row!.position);
      const fresh = batch.filter((e) => e.position > done);
      if (fresh.length === 0) return;
      for (const e of fresh) await this.apply(run, e, directory, policies, persons);
      const handled = fresh[fresh.length - 1]!.position;
      await run('update consumer_position set position = ? where consumer = ?', [
        handled,
        CONSUMER,
      ]);
      await run(`select ${this.o.outboxAcknowledge}(?, ?)`, [CONSUMER, handled]);
    });
  }

  private async published(
    run: Run,
    e: MessageEventRow,
    directory: ReadonlyMap<string, DirectoryEntry>,
    policies: readonly NotificationPolicy[],
    persons: readonly PersonRecipient[],
  ): Promise<void> {
    await run(
      `insert into message_event (message_id, recipient_orgnr, sender_orgnr, service_code, title,
         published_at, classification)
       values (?, ?, ?, ?, ?, ?, ?) on conflict do nothing`,
      [
        e.messageId,
        e.recipientOrgnr,
        e.senderOrgnr,
        e.serviceCode,
        e.title,
        e.at,
        e.classification,
      ],
    );
    const policy = applicablePolicy(
      policies,
      { senderOrgnr: e.senderOrgnr, serviceCode: e.serviceCode },
      e.at,
    );
    const rules = effectiveRules(policy, e.serviceCode, e.classification);
    if (!rules) return;
    const recipient = directory.get(e.recipientOrgnr);
    const orders = planOrders(
      rules,
      {
        recipientOrgnr: e.recipientOrgnr,
        recipientName: recipient?.name ?? e.recipientOrgnr,
        senderName: directory.get(e.senderOrgnr)?.name ?? e.senderOrgnr,
        serviceCode: e.serviceCode,
        title: e.title,
        publishedAt: e.at,
      },
      recipient ?? { emails: [], mobiles: [] },
      personTargets(rules.channel, e.serviceCode, persons),
    );
    for (const order of orders) {
      if (order.alert) {
        // Not silence: a varsel that is owed cannot reach the enhet at all.
        this.o.log.error(
          { messageId: e.messageId, recipient: e.recipientOrgnr, kind: order.kind },
          'mandatory notice cancelled: the enhet has no varslingsadresse at all',
        );
      }
      const throttled =
        order.kind === 'SERVICE_MESSAGE' && policy?.throttlePerDay
          ? await this.overThrottle(run, e.recipientOrgnr, order.plannedAt, policy.throttlePerDay)
          : null;
      await insertOrder(run, e, order, policy, throttled, rules);
    }
  }

  /** Why a service message is dropped when the recipient already got `limit` that day. */
  private async overThrottle(run: Run, orgnr: string, at: Date, limit: number) {
    const [row] = await run<{ n: string }>(
      `select count(*) as n from notification_order
       where recipient_orgnr = ? and kind = 'SERVICE_MESSAGE' and status <> 'Cancelled'
         and (planned_at at time zone 'Europe/Oslo')::date = ?::date`,
      [orgnr, osloDate(at)],
    );
    return Number(row!.n) >= limit
      ? `throttled: at most ${limit} service messages a day to one enhet`
      : null;
  }

  private async statusChanged(run: Run, e: MessageEventRow): Promise<void> {
    const read = READ.has(e.status);
    const archived = ARCHIVED.has(e.status);
    const purged = PURGED.has(e.status);
    if (!read && !archived && !purged) return;
    await run(
      `update message_event set read_at = case when ? then coalesce(read_at, ?) else read_at end,
         archived_at = case when ? then coalesce(archived_at, ?) else archived_at end,
         purged_at = case when ? then coalesce(purged_at, ?) else purged_at end
       where message_id = ?`,
      [read, e.at, archived, e.at, purged, e.at, e.messageId],
    );
    if (purged) {
      // Every notice not yet sent: the first (deferred) one, a service message, the reminder.
      await run(
        `update notification_order set status = 'SendConditionNotMet', status_reason = ?
         where message_id = ? and status = 'Registered'`,
        ['purged by the recipient before it was sent', e.messageId],
      );
      return;
    }
    await run(
      `update notification_order set status = 'SendConditionNotMet', status_reason = ?
       where message_id = ? and kind = 'REMINDER' and status = 'Registered'`,
      [read ? 'read before the reminder' : 'archived before the reminder', e.messageId],
    );
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.tail.close();
    await this.loop;
  }
}

async function insertOrder(
  run: Run,
  e: MessageEventRow,
  order: PlannedOrder,
  policy: NotificationPolicy | null,
  throttled: string | null,
  rules: PolicyRules,
): Promise<void> {
  const reason = throttled ?? order.cancelled;
  const reminder = order.kind === 'REMINDER';
  const [row] = await run<{ id: string }>(
    `insert into notification_order (message_id, recipient_orgnr, kind, policy_id, policy_version,
       status, status_reason, planned_at, deferrals, deviation, reminder_delay_days, sending_window)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?::jsonb)
     on conflict (message_id, kind) do nothing returning id`,
    [
      e.messageId,
      e.recipientOrgnr,
      order.kind,
      policy?.id ?? null,
      policy?.version ?? null,
      reason ? 'Cancelled' : 'Registered',
      reason,
      order.plannedAt,
      JSON.stringify(order.deferrals),
      order.deviation,
      // What the dispatcher needs to plan the reminder again from the notice's actual sending.
      reminder ? rules.reminderDelayDays : null,
      reminder ? JSON.stringify(windowOf(rules)) : null,
    ],
  );
  if (!row || reason) return;
  for (const n of order.notifications) {
    await run(
      `insert into notification (order_id, channel, address, subject, body, status, next_attempt_at)
       values (?, ?, ?, ?, ?, 'New', ?)`,
      [row.id, n.channel, n.address, n.subject, n.body, order.plannedAt],
    );
  }
}

export type { EntityManager };

/**
 * PostgreSQL error classes that pass by themselves besides the connection's (which
 * `isDatabaseUnavailable` knows): resources, operator intervention, conflicts.
 */
const TRANSIENT_SQLSTATE = /^(53|57|40)/;

/**
 * True when `err` says something is away or busy (a peer unreachable, the database gone, a pool
 * exhausted, a serialization conflict) rather than that this event cannot be handled.
 */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const ext = (err as { extensions?: { code?: unknown; reason?: unknown } }).extensions;
  if (ext?.code === 'SUBGRAPH_UNAVAILABLE') return ext.reason === 'unreachable';
  if (isDatabaseUnavailable(err)) return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && TRANSIENT_SQLSTATE.test(code)) return true;
  return /Timeout acquiring a connection|connection is closed/i.test(err.message);
}

/** What an error says, for the parked event (at most 1000 characters). */
function reasonOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.slice(0, 1000);
}
