import type { EntityManager } from '@mikro-orm/postgresql';
import { OutboxTail } from '../../../platform/events/tail.js';
import type { Logger } from '../../../platform/runtime/logger.js';
import type { MikroORM } from '../../../platform/db/orm.js';
import type { PeerClient } from '../../../platform/http/peer.js';
import { osloDate } from '../domain/calendar.js';
import { effectiveRules, planOrders, type PlannedOrder } from '../domain/plan.js';
import { applicablePolicy } from '../domain/resolution.js';
import { NotificationPolicy } from '../entities/NotificationPolicy.js';
import { personTargets, type PersonRecipient } from '../domain/personTargets.js';
import { lookUp, type DirectoryEntry } from './directory.js';
import { personRecipients } from './personRecipients.js';
import { inTransaction, type Run } from '../../../platform/db/transaction.js';

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
  at: Date;
}

const CONSUMER = 'varsling.engine';
/** Statuses after which a reminder is no longer wanted. */
const READ = new Set(['Read', 'Confirmed']);
const PURGED = new Set(['PurgedByRecipient']);

export interface EngineOptions {
  orm: MikroORM;
  databaseUrl: string;
  /** Schema-qualified outbox of meldingsboks, and the channel its relay announces on. */
  outboxTable: string;
  outboxChannel: string;
  enhetsregisteret: PeerClient;
  /** Who of the persons with their own contact details may read what; null: no persons notified. */
  meldingsboks: PeerClient | null;
  log: Logger;
  pollMs?: number;
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
    this.loop = this.run(Number(row?.position ?? 0));
  }

  private async run(from: number): Promise<void> {
    let cursor = from;
    while (!this.stop.signal.aborted) {
      try {
        for await (const batch of this.tail.read(cursor, this.stop.signal)) {
          await this.handle(batch);
          cursor = batch[batch.length - 1]!.position;
        }
      } catch (err) {
        if (this.stop.signal.aborted) return;
        this.o.log.error({ err }, 'notification engine failed on a batch; retrying');
        await new Promise((r) => setTimeout(r, 1000).unref());
      }
    }
  }

  /** Handles a batch in one transaction with the position, skipping what was handled before. */
  async handle(batch: readonly MessageEventRow[]): Promise<void> {
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
      for (const e of fresh) {
        if (e.kind === 'Published') {
          await this.published(run, e, directory, policies, persons.get(e.recipientOrgnr) ?? []);
        } else await this.statusChanged(run, e);
      }
      await run('update consumer_position set position = ? where consumer = ?', [
        fresh[fresh.length - 1]!.position,
        CONSUMER,
      ]);
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
      `insert into message_event (message_id, recipient_orgnr, sender_orgnr, service_code, title, published_at)
       values (?, ?, ?, ?, ?, ?) on conflict do nothing`,
      [e.messageId, e.recipientOrgnr, e.senderOrgnr, e.serviceCode, e.title, e.at],
    );
    const policy = applicablePolicy(
      policies,
      { senderOrgnr: e.senderOrgnr, serviceCode: e.serviceCode },
      e.at,
    );
    const rules = effectiveRules(policy, e.serviceCode);
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
      const throttled =
        order.kind === 'SERVICE_MESSAGE' && policy?.throttlePerDay
          ? await this.overThrottle(run, e.recipientOrgnr, order.plannedAt, policy.throttlePerDay)
          : null;
      await insertOrder(run, e, order, policy, throttled);
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
    const purged = PURGED.has(e.status);
    if (!read && !purged) return;
    await run(
      `update message_event set read_at = case when ? then coalesce(read_at, ?) else read_at end,
         purged_at = case when ? then coalesce(purged_at, ?) else purged_at end
       where message_id = ?`,
      [read, e.at, purged, e.at, e.messageId],
    );
    await run(
      `update notification_order set status = 'SendConditionNotMet', status_reason = ?
       where message_id = ? and kind = 'REMINDER' and status = 'Registered'`,
      [read ? 'read before the reminder' : 'purged before the reminder', e.messageId],
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
): Promise<void> {
  const reason = throttled ?? order.cancelled;
  const [row] = await run<{ id: string }>(
    `insert into notification_order (message_id, recipient_orgnr, kind, policy_id, policy_version,
       status, status_reason, planned_at, deferrals)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb) on conflict (message_id, kind) do nothing returning id`,
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
