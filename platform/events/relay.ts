import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import pg from 'pg';
import type { Logger } from '../runtime/logger.js';
import { longLived } from './connection.js';
import { listen, type Listener } from './listener.js';

export interface RelayOptions {
  databaseUrl: string;
  /** Schema-qualified outbox table with `id bigserial` and a nullable, unique `position`. */
  table: string;
  /** Writers NOTIFY here when they commit rows without a position. */
  rawChannel: string;
  /** The relay NOTIFYs here when rows got their positions (what tails listen to). */
  channel: string;
  /** Names the lease that makes one relay of many the one that acts. */
  lockName: string;
  /**
   * Schema-qualified table of leases: `name text primary key, holder text, token bigint,
   * expires_at timestamptz`.
   */
  leaseTable: string;
  /** How long the lead holds without renewal; renewed by every pass (each `pollMs`). @default 10000 */
  leaseMs?: number;
  log: Logger;
  /** Safety poll (a missed NOTIFY, a leader that went away). @default 1000 */
  pollMs?: number;
  /** Rows positioned per transaction. @default 5000 */
  batchSize?: number;
}

/**
 * Gives committed outbox rows their positions, in the order it sees them commit, so that
 * positions only ever grow in commit order and readers that follow them never skip a row that
 * committed late. Writers need no lock: they insert rows without a position and NOTIFY.
 *
 * Every instance runs a relay; the one holding the lease acts. A session advisory lock would not
 * do: a frozen (stopped, swapped-out) process keeps its connection, as its kernel still answers
 * TCP keepalives, and with it the lock. The lease is a row with an expiry that each pass renews
 * and a fencing token that grows with every change of leader: a pass positions rows only in the
 * transaction that renewed the lease under its own token, so a leader that wakes after its lease
 * was taken over writes nothing. A unique index on `position` refuses a second writer anyway.
 */
export class OutboxRelay {
  private session: pg.Client | undefined;
  /** The fencing token of this relay's lead; null when it does not lead. */
  private token: string | null = null;
  private readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly leaseMs: number;
  private listener: Listener | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private readonly pollMs: number;
  private readonly batchSize: number;

  constructor(private readonly options: RelayOptions) {
    this.pollMs = options.pollMs ?? 1000;
    this.batchSize = options.batchSize ?? 5000;
    this.leaseMs = options.leaseMs ?? 10_000;
  }

  /** True while this relay holds the lead. */
  get leading(): boolean {
    return this.token !== null;
  }

  async start(): Promise<void> {
    this.listener = await listen({
      databaseUrl: this.options.databaseUrl,
      channel: this.options.rawChannel,
      onNotify: () => this.wake(),
      log: this.options.log,
    });
    this.wake();
  }

  /** Runs a pass now (or right after the running one). */
  wake(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.pass()
      .catch((err: unknown) => {
        this.options.log.error({ err }, 'outbox relay pass failed');
        this.dropSession();
      })
      .finally(() => {
        this.running = undefined;
        if (this.closed) return;
        if (this.again) {
          this.again = false;
          this.wake();
        } else {
          this.timer = setTimeout(() => this.wake(), this.pollMs);
          this.timer.unref();
        }
      });
  }

  private async pass(): Promise<void> {
    const client = await this.leadership();
    if (!client) return;
    const { table, channel } = this.options;
    for (;;) {
      await client.query('begin');
      try {
        // The fence: renewed under our token in the transaction that writes, its row locked to
        // the commit, so no one can take the lead over between this check and the positions.
        if (!(await this.renew(client))) {
          await client.query('rollback');
          this.options.log.warn({ lease: this.options.lockName }, 'outbox relay lost the lead');
          this.token = null;
          return;
        }
        const assigned = await client.query(
          `with next as (
             select id, row_number() over (order by id) as n from ${table}
             where position is null order by id limit $1
           ), base as (select coalesce(max(position), 0) as b from ${table})
           update ${table} o set position = base.b + next.n from next, base where o.id = next.id`,
          [this.batchSize],
        );
        if (assigned.rowCount) await client.query('select pg_notify($1, $2)', [channel, '']);
        await client.query('commit');
        if ((assigned.rowCount ?? 0) < this.batchSize) return;
      } catch (err) {
        await client.query('rollback').catch(() => {});
        throw err;
      }
    }
  }

  /**
   * The session when this relay holds the lease (taking it if it is free or expired), else null.
   * One session per relay, kept: a follower's try is one quick statement.
   */
  private async leadership(): Promise<pg.Client | null> {
    if (!this.session) {
      const client = new pg.Client(longLived(this.options.databaseUrl, 'outbox-relay'));
      client.on('error', (err) => {
        this.options.log.warn({ err }, 'outbox relay connection lost');
        if (this.session === client) this.dropSession();
      });
      await client.connect();
      this.session = client;
    }
    if (this.token !== null) return this.session;
    const { leaseTable, lockName } = this.options;
    const { rows } = await this.session.query<{ token: string }>(
      `insert into ${leaseTable} as l (name, holder, token, expires_at)
       values ($1, $2, 1, now() + $3::float8 * interval '1 millisecond')
       on conflict (name) do update
         set holder = excluded.holder, token = l.token + 1, expires_at = excluded.expires_at
         where l.expires_at < now() or l.holder = excluded.holder
       returning token::text`,
      [lockName, this.holder, this.leaseMs],
    );
    if (!rows[0]) return null;
    this.token = rows[0].token;
    this.options.log.info({ lease: lockName, token: this.token }, 'outbox relay took the lead');
    return this.session;
  }

  /** Extends the lease if it is still ours and unexpired; false when the lead is lost. */
  private async renew(client: pg.Client): Promise<boolean> {
    const { rowCount } = await client.query(
      `update ${this.options.leaseTable}
       set expires_at = now() + $4::float8 * interval '1 millisecond'
       where name = $1 and holder = $2 and token = $3 and expires_at > now()`,
      [this.options.lockName, this.holder, this.token, this.leaseMs],
    );
    return rowCount === 1;
  }

  /**
   * Gives up the session; the next pass starts afresh. The lease stays until it expires: this
   * relay may take it again, or another once it has lapsed.
   */
  private dropSession(): void {
    const client = this.session;
    this.session = undefined;
    this.token = null;
    client?.end().catch(() => {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
    await this.listener?.close();
    const client = this.session;
    this.session = undefined;
    // Handing over at once: the lease ends now, so another instance leads at its next poll.
    if (client && this.token !== null) {
      await client
        .query(
          `update ${this.options.leaseTable} set expires_at = now() - interval '1 millisecond'
                where name = $1 and holder = $2 and token = $3`,
          [this.options.lockName, this.holder, this.token],
        )
        .catch(() => {});
    }
    this.token = null;
    await client?.end().catch(() => {});
  }
}
