import type { EntityManager } from '@mikro-orm/postgresql';
import type { Channel, Claimed } from './claimed.js';
import { completeOrders } from './record.js';
import { inTransaction, type Run } from '../../../platform/db/transaction.js';

export type { Channel, Claimed } from './claimed.js';

export interface ClaimOptions {
  batchSize: number;
  leaseMs: number;
  maxAttempts: number;
}

export interface ClaimResult {
  /** To be sent now; each has a committed attempt row. */
  claimed: Claimed[];
  /** Taken over after their last attempt left no outcome: now Failed, not sent again. */
  exhausted: number;
  /**
   * Reminders whose message was read or archived, and any notice whose message was purged:
   * their orders are SendConditionNotMet.
   */
  suppressed: number;
}

interface DueRow {
  id: string;
  order_id: string;
  channel: Channel;
  address: string;
  subject: string | null;
  body: string;
  attempts: number;
  status: 'New' | 'Sending';
  kind: 'NOTICE' | 'REMINDER' | 'SERVICE_MESSAGE';
  read: boolean;
  archived: boolean;
  purged: boolean;
}

const ABANDONED = 'no outcome recorded before the lease expired';

/**
 * Takes up to `batchSize` due notifications in one transaction: new ones, and ones whose lease
 * expired (their worker died mid-send). The attempt row is committed before anything is sent, so
 * a crash leaves a trace and a takeover is a new, numbered attempt, never a silent resend.
 */
export function claimDue(em: EntityManager, options: ClaimOptions): Promise<ClaimResult> {
  return inTransaction(em, async (run) => {
    const due = await run<DueRow>(
      `select n.id, n.order_id, n.channel, n.address, n.subject, n.body, n.attempts, n.status,
              o.kind, e.read_at is not null as read, e.archived_at is not null as archived,
              e.purged_at is not null as purged
       from notification n
       join notification_order o on o.id = n.order_id
       join message_event e on e.message_id = o.message_id
       where n.next_attempt_at <= now()
         and (n.status = 'New' or (n.status = 'Sending' and n.claimed_until < now()))
         and o.status not in ('SendConditionNotMet', 'Cancelled')
       order by n.next_attempt_at, n.id
       limit ? for update of n skip locked`,
      [options.batchSize],
    );
    if (due.length === 0) return { claimed: [], exhausted: 0, suppressed: 0 };

    // Orders are locked in id order, so that concurrent passes never wait on each other in a
    // cycle; their status is read again now that no one else may change it.
    const orders = await run<{ id: string; status: string }>(
      `select id, status from notification_order where id in (?) order by id for update`,
      [[...new Set(due.map((d) => d.order_id))]],
    );
    const closed = new Set(
      orders
        .filter((o) => ['SendConditionNotMet', 'Cancelled'].includes(o.status))
        .map((o) => o.id),
    );
    const open = due.filter((d) => !closed.has(d.order_id));

    // A purge stops every notice not yet sent; reading or archiving (handled) stops the reminder.
    const isSuppressed = (d: DueRow) =>
      (d.purged && d.status === 'New') || (d.kind === 'REMINDER' && (d.read || d.archived));
    const suppressed = open.filter(isSuppressed);
    const sendable = open.filter((d) => !isSuppressed(d));
    // A takeover is an attempt too: one that would exceed maxAttempts fails instead.
    const isExhausted = (d: DueRow) => d.status === 'Sending' && d.attempts >= options.maxAttempts;
    const exhausted = sendable.filter(isExhausted);
    const toSend = sendable.filter((d) => !isExhausted(d));

    await suppress(run, suppressed);
    await closeAbandoned(
      run,
      open.filter((d) => d.status === 'Sending'),
    );
    if (exhausted.length > 0) {
      await run(
        `update notification
         set status = 'Failed', failure_reason = 'attempt ' || attempts || ': ' || ?,
             claimed_until = null
         where id in (?)`,
        [ABANDONED, exhausted.map((d) => d.id)],
      );
      await completeOrders(
        run,
        exhausted.map((d) => d.order_id),
      );
    }
    return {
      claimed: await lease(run, toSend, options.leaseMs),
      exhausted: exhausted.length,
      suppressed: new Set(suppressed.map((d) => d.order_id)).size,
    };
  });
}

async function suppress(run: Run, rows: DueRow[]): Promise<void> {
  const why = (d: DueRow) =>
    d.purged
      ? 'purged by the recipient before it was sent'
      : d.read
        ? 'read before the reminder'
        : 'archived before the reminder';
  const byReason = new Map<string, Set<string>>();
  for (const d of rows) {
    const ids = byReason.get(why(d)) ?? new Set<string>();
    byReason.set(why(d), ids.add(d.order_id));
  }
  for (const [reason, ids] of byReason) {
    await run(
      `update notification_order set status = 'SendConditionNotMet', status_reason = ?
       where id in (?)`,
      [reason, [...ids]],
    );
  }
}

/** The attempts of a worker whose lease expired end here; it may or may not have sent. */
async function closeAbandoned(run: Run, rows: DueRow[]): Promise<void> {
  if (rows.length === 0) return;
  await run(
    `update notification_attempt set finished_at = now(), outcome = 'abandoned', detail = ?
     where notification_id in (?) and finished_at is null`,
    [ABANDONED, rows.map((d) => d.id)],
  );
}

async function lease(run: Run, rows: DueRow[], leaseMs: number): Promise<Claimed[]> {
  if (rows.length === 0) return [];
  const attempts = await run<{ notification_id: string; attempt: number }>(
    `with claimed as (
       update notification
       set status = 'Sending', attempts = attempts + 1,
           claimed_until = now() + ?::float8 * interval '1 millisecond'
       where id in (?)
       returning id, attempts)
     insert into notification_attempt (notification_id, attempt)
     select id, attempts from claimed
     returning notification_id, attempt`,
    [leaseMs, rows.map((d) => d.id)],
  );
  await run(
    `update notification_order set status = 'Processing' where id in (?) and status = 'Registered'`,
    [[...new Set(rows.map((d) => d.order_id))]],
  );
  const attemptOf = new Map(attempts.map((a) => [a.notification_id, a.attempt]));
  return rows.map((d) => ({
    id: d.id,
    orderId: d.order_id,
    channel: d.channel,
    address: d.address,
    subject: d.subject,
    body: d.body,
    attempt: attemptOf.get(d.id) ?? d.attempts + 1,
  }));
}
