import type { EntityManager } from '@mikro-orm/postgresql';
import type { Claimed } from './claimed.js';
import { inTransaction, type Run } from '../../../platform/db/transaction.js';
import type { SendingWindow } from '../domain/calendar.js';
import { reminderAfter } from '../domain/plan.js';

/** Statuses after which a notification is never sent again. */
export const FINAL_STATUSES = ['Succeeded', 'Delivered', 'Accepted', 'Failed'] as const;

/** What became of a failed attempt. */
export type FailureOutcome = 'retry' | 'failed' | 'superseded';

const MAX_DETAIL = 1000;

/**
 * Records a send the provider took: e-mail `Succeeded`, SMS `Accepted` (only a delivery report
 * could say `Delivered`). Returns false when the lease had passed to another worker, whose
 * attempt then decides the status; this attempt's row still says it was sent.
 */
export function recordSent(em: EntityManager, n: Claimed, providerId: string | null) {
  const status = n.channel === 'EMAIL' ? 'Succeeded' : 'Accepted';
  return inTransaction(em, async (run) => {
    const updated = await run<{ order_id: string; sent_at: Date }>(
      `update notification
       set status = ?, sent_at = now(), provider_id = ?, failure_reason = null, claimed_until = null
       where id = ? and status = 'Sending' and attempts = ?
       returning order_id, sent_at`,
      [status, providerId, n.id, n.attempt],
    );
    await finishAttempt(run, n, 'sent', providerId);
    if (updated.length === 0) return false;
    await lockOrder(run, n.orderId);
    await completeOrders(run, [n.orderId]);
    await moveReminder(run, n.orderId, new Date(updated[0]!.sent_at));
    return true;
  });
}

/**
 * Records a refused or failed send: back to `New` after `backoffMs * 2^(attempt-1)`, or `Failed`
 * once `maxAttempts` are spent.
 */
export function recordFailed(
  em: EntityManager,
  n: Claimed,
  reason: string,
  options: { maxAttempts: number; backoffMs: number },
): Promise<FailureOutcome> {
  const retry = n.attempt < options.maxAttempts;
  const delayMs = options.backoffMs * 2 ** (n.attempt - 1);
  const detail = reason.slice(0, MAX_DETAIL);
  return inTransaction(em, async (run) => {
    const updated = await run<{ order_id: string }>(
      `update notification
       set status = ?, failure_reason = ?, claimed_until = null,
           next_attempt_at = case when ?::boolean then now() + ?::float8 * interval '1 millisecond'
                                  else next_attempt_at end
       where id = ? and status = 'Sending' and attempts = ?
       returning order_id`,
      [retry ? 'New' : 'Failed', detail, retry, delayMs, n.id, n.attempt],
    );
    await finishAttempt(run, n, 'failed', detail);
    if (updated.length === 0) return 'superseded';
    if (retry) return 'retry';
    await lockOrder(run, n.orderId);
    await completeOrders(run, [n.orderId]);
    return 'failed';
  });
}

/**
 * The reminder counts from the moment its notice actually went out: when the notice is sent
 * later than planned (after retries), a reminder not yet due moves on by as much (never earlier).
 */
async function moveReminder(run: Run, noticeOrderId: string, sentAt: Date): Promise<void> {
  const [reminder] = await run<{
    id: string;
    planned_at: Date;
    reminder_delay_days: number;
    sending_window: SendingWindow;
  }>(
    `select r.id, r.planned_at, r.reminder_delay_days, r.sending_window
     from notification_order o
     join notification_order r on r.message_id = o.message_id and r.kind = 'REMINDER'
     where o.id = ? and o.kind = 'NOTICE' and r.status = 'Registered'
       and r.reminder_delay_days is not null and r.sending_window is not null
     for update of r`,
    [noticeOrderId],
  );
  if (!reminder) return;
  const later = reminderAfter(sentAt, reminder.reminder_delay_days, reminder.sending_window);
  if (later.at.getTime() <= new Date(reminder.planned_at).getTime()) return;
  await run(`update notification_order set planned_at = ?, deferrals = ?::jsonb where id = ?`, [
    later.at,
    JSON.stringify(later.deferrals),
    reminder.id,
  ]);
  await run(
    `update notification set next_attempt_at = ? where order_id = ? and status = 'New' and attempts = 0`,
    [later.at, reminder.id],
  );
}

function finishAttempt(run: Run, n: Claimed, outcome: string, detail: string | null) {
  return run(
    `update notification_attempt set finished_at = now(), outcome = ?, detail = ?
     where notification_id = ? and attempt = ?`,
    [outcome, detail, n.id, n.attempt],
  );
}

/**
 * Taken after the notification's own row: two workers finishing the last two notifications of
 * one order queue here, so the second sees the first's commit and completes the order.
 */
function lockOrder(run: Run, orderId: string) {
  return run(`select id from notification_order where id = ? for update`, [orderId]);
}

/**
 * Completes the orders all of whose notifications are final. The caller holds the orders' locks,
 * taken in an earlier statement, so that this one sees every other worker's committed outcome.
 */
export async function completeOrders(run: Run, orderIds: readonly string[]): Promise<void> {
  if (orderIds.length === 0) return;
  await run(
    `update notification_order o set status = 'Completed'
     where o.id in (?) and o.status in ('Registered', 'Processing', 'Processed')
       and not exists (select 1 from notification n
                       where n.order_id = o.id and n.status not in (?))`,
    [[...new Set(orderIds)], [...FINAL_STATUSES]],
  );
}

/**
 * Extends the leases of `held` that are still this worker's (same attempt, still `Sending`) by
 * `leaseMs` from now; returns the ids it extended. A notification missing from the answer was
 * taken over (the lease had lapsed) or finished: it must not be sent by this worker.
 */
export async function renewLeases(
  em: EntityManager,
  held: readonly Claimed[],
  leaseMs: number,
): Promise<Set<string>> {
  if (held.length === 0) return new Set();
  const rows = await inTransaction(em, (run) =>
    run<{ id: string }>(
      `update notification n
       set claimed_until = now() + ?::float8 * interval '1 millisecond'
       from unnest(string_to_array(?, ','), string_to_array(?, ',')::int[]) as held(id, attempt)
       where n.id::text = held.id and n.attempts = held.attempt and n.status = 'Sending'
         and n.claimed_until >= now()
       returning n.id::text as id`,
      [leaseMs, held.map((n) => n.id).join(','), held.map((n) => n.attempt).join(',')],
    ),
  );
  return new Set(rows.map((r) => r.id));
}
