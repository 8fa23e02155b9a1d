import pg from 'pg';
import type { Logger } from '../runtime/logger.js';
import { listen, type Listener } from './listener.js';

export interface RelayOptions {
  databaseUrl: string;
  /** Schema-qualified outbox table with `id bigserial` and a nullable, unique `position`. */
  table: string;
  /** Writers NOTIFY here when they commit rows without a position. */
  rawChannel: string;
  /** The relay NOTIFYs here when rows got their positions (what tails listen to). */
  channel: string;
  /** Names the advisory lock that makes one relay of many the one that acts. */
  lockName: string;
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
 * Every instance runs a relay; the one holding a session advisory lock acts, the others wait to
 * take over when its connection goes (Postgres releases the lock with it). A unique index on
 * `position` refuses a second writer of positions should two ever act at once.
 */
export class OutboxRelay {
  private session: pg.Client | undefined;
  private leading = false;
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
   * The session when this relay holds the lock (taking it if it is free), else null. One session
   * per relay, kept: a follower's try is one quick query.
   */
  private async leadership(): Promise<pg.Client | null> {
    if (!this.session) {
      const client = new pg.Client({ connectionString: this.options.databaseUrl });
      client.on('error', (err) => {
        this.options.log.warn({ err }, 'outbox relay connection lost');
        if (this.session === client) this.dropSession();
      });
      await client.connect();
      this.session = client;
    }
    if (this.leading) return this.session;
    const { rows } = await this.session.query<{ ok: boolean }>(
      'select pg_try_advisory_lock(hashtext($1)) as ok',
      [this.options.lockName],
    );
    if (!rows[0]?.ok) return null;
    this.leading = true;
    this.options.log.info({ lock: this.options.lockName }, 'outbox relay took the lead');
    return this.session;
  }

  /** Gives up the session (and with it the lock); the next pass starts afresh. */
  private dropSession(): void {
    const client = this.session;
    this.session = undefined;
    this.leading = false;
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
    await client?.end().catch(() => {});
  }
}
