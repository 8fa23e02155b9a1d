import { UnreachableCaseError } from '../../../platform/graphql/errors.js';
import type { Logger } from '../../../platform/runtime/logger.js';
import type { MikroORM } from '../../../platform/db/orm.js';
import { claimDue, type Claimed } from './claim.js';
import { recordFailed, recordSent, renewLeases } from './record.js';
import {
  noticeMessageId,
  reasonOf,
  smsIdempotencyKey,
  TransportError,
  type Transports,
} from './transports.js';

export interface DispatcherOptions {
  orm: MikroORM;
  transports: Transports;
  log: Logger;
  /** How often to look for due notifications, in ms. @default 1000 */
  intervalMs?: number;
  /** Notifications claimed per pass. @default 50 */
  batchSize?: number;
  /**
   * How long a claim holds, in ms, before another worker may take the notification over. The
   * worker renews it every third of this while the notification waits or is being sent, so only
   * a worker that died or froze loses it. @default 60_000
   */
  leaseMs?: number;
  /**
   * A send with no answer by then is given up and retried later (with the same Message-ID or
   * idempotency key), in ms. @default 60_000
   */
  sendTimeoutMs?: number;
  /** Attempts before a notification is `Failed`; a takeover counts as one. @default 5 */
  maxAttempts?: number;
  /** Delay before the first retry, in ms; each further retry waits twice as long. @default 30_000 */
  backoffMs?: number;
}

/**
 * Sends due notifications. Any number may run on one database: claims use SKIP LOCKED and a
 * lease, every attempt is committed before its send, and a worker that dies mid-send has its
 * notifications taken over when the lease expires (at least once, never without a record).
 */
export class Dispatcher {
  private readonly orm: MikroORM;
  private readonly transports: Transports;
  private readonly log: Logger;
  private readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly sendTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The pass running or last run; passes queue behind it, so two never overlap. */
  private current: Promise<unknown> = Promise.resolve();

  constructor(options: DispatcherOptions) {
    this.orm = options.orm;
    this.transports = options.transports;
    this.log = options.log;
    this.intervalMs = options.intervalMs ?? 1000;
    this.batchSize = options.batchSize ?? 50;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 60_000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.backoffMs = options.backoffMs ?? 30_000;
  }

  /** Polls every `intervalMs`, at once again after a full batch. */
  start(): void {
    this.stopped = false;
    this.schedule(this.intervalMs);
  }

  /** Stops polling; resolves when the running pass has recorded its outcomes. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
  }

  /** Runs one pass now (after any running one); returns how many notifications it sent or failed. */
  dispatchDue(): Promise<number> {
    const pass = this.current.then(() => this.pass());
    this.current = pass.catch(() => undefined);
    return pass;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.dispatchDue()
        .then((n) => this.schedule(n >= this.batchSize ? 0 : this.intervalMs))
        .catch((err: unknown) => {
          this.log.error({ err }, 'notification dispatch failed');
          this.schedule(this.intervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  private async pass(): Promise<number> {
    const { claimed, exhausted, suppressed } = await claimDue(this.orm.em.fork(), {
      batchSize: this.batchSize,
      leaseMs: this.leaseMs,
      maxAttempts: this.maxAttempts,
    });
    if (suppressed > 0)
      this.log.info({ orders: suppressed }, 'reminders not sent: message read or purged');
    if (exhausted > 0) this.log.warn({ exhausted }, 'notifications failed: last attempt abandoned');
    if (claimed.length === 0) return exhausted;
    // Leases are renewed while notifications wait for a connection or are being sent: time in
    // the queue never lets another worker take one over from a worker that is alive.
    const unfinished = new Map(claimed.map((n) => [n.id, n]));
    const heartbeat = setInterval(() => {
      renewLeases(this.orm.em.fork(), [...unfinished.values()], this.leaseMs).catch(
        (err: unknown) => this.log.warn({ err }, 'renewing notification leases failed'),
      );
    }, this.leaseMs / 3);
    heartbeat.unref();
    try {
      const slots = {
        EMAIL: limiter(this.transports.email.concurrency),
        SMS: limiter(this.transports.sms.concurrency),
      };
      const done = await Promise.all(
        claimed.map((n) =>
          slots[n.channel](() => this.deliver(n)).finally(() => unfinished.delete(n.id)),
        ),
      );
      return exhausted + done.filter(Boolean).length;
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Sends one claimed notification and records the outcome; false if that could not be recorded. */
  private async deliver(n: Claimed): Promise<boolean> {
    const at = { notification: n.id, channel: n.channel, attempt: n.attempt };
    // The fence: the lease is extended, and checked to be still ours, just before the send.
    const held = await renewLeases(this.orm.em.fork(), [n], this.leaseMs).catch((err: unknown) => {
      this.log.warn({ ...at, err }, 'could not renew a lease before sending: not sent now');
      return new Set<string>();
    });
    if (!held.has(n.id)) {
      this.log.warn(at, 'lease lost before the send: left to the worker that holds it');
      return false;
    }
    let sent: { id: string | null } | undefined;
    let reason = '';
    try {
      sent = await withTimeout(this.send(n), this.sendTimeoutMs);
    } catch (err) {
      reason = reasonOf(err);
    }
    const em = this.orm.em.fork();
    try {
      if (sent) {
        if (await recordSent(em, n, sent.id)) this.log.debug(at, 'notification sent');
        else this.log.warn(at, 'sent after the lease had expired: another worker took it over');
        return true;
      }
      const options = { maxAttempts: this.maxAttempts, backoffMs: this.backoffMs };
      const outcome = await recordFailed(em, n, reason, options);
      this.log.warn({ ...at, outcome, reason }, 'notification not sent');
      return true;
    } catch (err) {
      // Left in Sending: another pass takes it over when the lease expires.
      this.log.error({ ...at, err, sent: Boolean(sent) }, 'recording a send outcome failed');
      return false;
    }
  }

  private send(n: Claimed): Promise<{ id: string | null }> {
    switch (n.channel) {
      case 'EMAIL':
        return this.transports.email.send({
          to: n.address,
          subject: n.subject ?? '',
          text: n.body,
          messageId: noticeMessageId(n.id),
        });
      case 'SMS':
        return this.transports.sms.send({
          to: n.address,
          text: n.body,
          idempotencyKey: smsIdempotencyKey(n.id),
        });
      default:
        throw new UnreachableCaseError(n.channel);
    }
  }
}

/** Runs at most `n` of the tasks given to it at once, the others in the order they came. */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    if (running >= n) await new Promise<void>((r) => waiting.push(r));
    running += 1;
    try {
      return await task();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}

/** `work`, or a TransportError after `ms` with no answer (the send may still have gone out). */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TransportError(`no answer within ${ms} ms (it may have been sent)`)),
      ms,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
