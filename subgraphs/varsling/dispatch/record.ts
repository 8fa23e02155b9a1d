import type { EntityManager } from '@mikro-orm/postgresql';
import type { Claimed } from './claimed.js';
import { inTransaction, type Run } from '../../../platform/db/transaction.js';

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
    const updated = await run<{ order_id: string }>(
      `update notification
       set status = ?, sent_at = now(), provider_id = ?, failure_reason = null, claimed_until = null
       where id = ? and status = 'Sending' and attempts = ?
       returning order_id`,
      [status, providerId, n.id, n.attempt],
    );
    await finishAttempt(run, n, 'sent', providerId);
    if (updated.length === 0) return false;
    await lockOrder(run, n.orderId);
    await completeOrders(run, [n.orderId]);
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
