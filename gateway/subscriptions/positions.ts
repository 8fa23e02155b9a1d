import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type pg from 'pg';
import type { Logger } from '../../platform/runtime/logger.js';

export interface PositionOptions {
  /** How long a confirmed position stays resumable after its last confirmation, in ms. */
  graceMs: number;
  /** Confirmations are written at most this often, in ms. @default 1000 */
  batchMs?: number;
  /** The gateway's shared state; without it positions live in this instance only. */
  pool?: pg.Pool | undefined;
  log: Logger;
}

/** What identifies one client's subscription across its reconnects. */
export interface SubscriptionIdentity {
  /** The verified caller (org + sub), or the address of an anonymous one. */
  caller: string;
  /** The client's id of the subscription: graphql-ws clients keep it across reconnects. */
  id: string;
  query: string;
  variables: Readonly<Record<string, unknown>>;
}

/** The key of a subscription: no client can name another's, since its identity is in it. */
export function positionKey(s: SubscriptionIdentity): string {
  return createHash('sha256')
    .update(JSON.stringify([s.caller, s.id, s.query, s.variables]))
    .digest('base64url');
}

/**
 * The positions clients have confirmed, per subscription: kept in memory for the grace period
 * and written, in batches, to the gateway's schema, so that a reconnect to any instance resumes
 * where the client got to. Written at most `batchMs` after a confirmation, at once when a socket
 * closes ({@link flush}) and on shutdown.
 */
export class Positions {
  private readonly known: LRUCache<string, string>;
  private readonly pending = new Map<string, string>();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly sweeper: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly options: PositionOptions) {
    this.known = new LRUCache({ max: 200_000, ttl: options.graceMs, updateAgeOnGet: false });
    if (options.pool) {
      this.timer = setInterval(() => void this.flush(), options.batchMs ?? 1000);
      this.timer.unref();
      this.sweeper = setInterval(() => void this.sweep(), 60_000);
      this.sweeper.unref();
    }
  }

  /** The position a subscription may resume from, if one was confirmed within the grace period. */
  async get(key: string): Promise<string | null> {
    const here = this.pending.get(key) ?? this.known.get(key);
    if (here !== undefined) return here;
    const pool = this.options.pool;
    if (!pool) return null;
    try {
      const r = await pool.query<{ cursor: string }>(
        'select cursor from gateway.subscription_position where key = $1 and expires_at > now()',
        [key],
      );
      return r.rows[0]?.cursor ?? null;
    } catch (err) {
      this.options.log.warn({ err }, 'subscription positions unavailable');
      return null;
    }
  }

  /** The client has confirmed the event at `cursor`. */
  confirm(key: string, cursor: string): void {
    this.known.set(key, cursor);
    if (this.options.pool) this.pending.set(key, cursor);
  }

  /** Writes the confirmations not written yet. */
  flush(): Promise<void> {
    const pool = this.options.pool;
    if (!pool || this.pending.size === 0) return this.flushing;
    const batch = [...this.pending];
    this.pending.clear();
    const expires = new Date(Date.now() + this.options.graceMs).toISOString();
    this.flushing = this.flushing.then(async () => {
      try {
        await pool.query(
          `insert into gateway.subscription_position (key, cursor, expires_at)
           select k, c, $3::timestamptz from unnest($1::text[], $2::text[]) as t(k, c)
           on conflict (key) do update set cursor = excluded.cursor, expires_at = excluded.expires_at`,
          [batch.map(([k]) => k), batch.map(([, c]) => c), expires],
        );
      } catch (err) {
        // Kept in memory all the same; the next confirmation of each writes it again.
        this.options.log.warn(
          { err, positions: batch.length },
          'subscription positions not written',
        );
      }
    });
    return this.flushing;
  }

  private async sweep(): Promise<void> {
    await this.options.pool
      ?.query('delete from gateway.subscription_position where expires_at < now()')
      .catch(() => undefined);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.sweeper);
    await this.flush();
  }
}
