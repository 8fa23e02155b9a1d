import pg from 'pg';
import type { Logger } from '../runtime/logger.js';
import { longLived } from './connection.js';
import { listen, type Listener } from './listener.js';
import { RowRing } from './ring.js';

export interface TailOptions<Row extends { position: number }> {
  /** Postgres URL: one dedicated connection LISTENs, a pool of at most 3 reads. */
  databaseUrl: string;
  /** Schema-qualified table name, e.g. 'meldingsboks.outbox'. Trusted (not user input). */
  table: string;
  /** NOTIFY channel. */
  channel: string;
  /** Turns a raw row (position arrives as a string from pg for bigint) into Row. */
  map: (raw: Record<string, unknown>) => Row;
  log: Logger;
  /** Safety poll when no NOTIFY arrives (a missed notify, a dropped LISTEN connection). @default 1000 */
  pollMs?: number;
  /** How many of the newest rows are kept in memory, so live subscribers need no query. @default 10000 */
  bufferSize?: number;
  /** Rows fetched per query. @default 1000 */
  batchSize?: number;
  /**
   * The key a reader may follow alone (`read(after, signal, key)`): such a reader is woken only
   * by rows with its key, so many narrow readers cost nothing for the rows of others.
   */
  keyOf?: (row: Row) => string;
}

/**
 * Follows an outbox table whose writers serialize appends (a transaction-level advisory lock) and
 * NOTIFY on commit, so the visible rows always form a gap-free prefix in position order. One tail
 * per process and table: a single fetch loop, woken by NOTIFY or a poll, reads what is new since
 * `head` into a ring of the newest rows; readers take from the ring, or from the table while they
 * are further behind than the ring reaches.
 */
export class OutboxTail<Row extends { position: number }> {
  private readonly pool: pg.Pool;
  private readonly pollMs: number;
  private readonly batchSize: number;
  private ring: RowRing<Row> | undefined;
  private listener: Listener | undefined;
  private poll: NodeJS.Timeout | undefined;
  private newest = 0;
  /** A wakeup arrived since the fetch loop last looked. */
  private wanted = false;
  private fetching: Promise<void> | undefined;
  /** Fetch passes begun and ended, and who waits for a pass to end (`refresh`). */
  private passesBegun = 0;
  private readonly passWaiters: Array<{ pass: number; done: () => void }> = [];
  /** Readers waiting for the head to pass their position. */
  private readonly waiters = new Set<() => void>();
  /**
   * Readers of one key waiting for a row with it, each told where to resume: every row before
   * the batch that woke it had other keys.
   */
  private readonly keyed = new Map<string, Set<(resumeAfter: number) => void>>();
  /** Called with every batch of new rows before any reader sees them (see `observe`). */
  private readonly observers = new Set<(rows: readonly Row[]) => void>();
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: TailOptions<Row>) {
    this.pollMs = options.pollMs ?? 1000;
    this.batchSize = positive('batchSize', options.batchSize ?? 1000);
    positive('bufferSize', options.bufferSize ?? 10_000);
    this.pool = new pg.Pool({ ...longLived(options.databaseUrl, 'outbox-tail'), max: 3 });
    // An idle client's connection dropping must not crash the process; the next query reconnects.
    this.pool.on('error', (err) => options.log.warn({ err }, 'outbox pool connection lost'));
  }

  /** LISTENs, reads the current head (max position, 0 if empty). */
  async start(): Promise<void> {
    if (this.ring || this.closed) throw new Error('OutboxTail can start once');
    const { log, channel, databaseUrl } = this.options;
    try {
      // LISTEN before reading the head: a row committed in between is then fetched, not missed.
      this.listener = await listen({ databaseUrl, channel, log, onNotify: () => this.wake() });
      const { rows } = await this.pool.query<{ head: string }>(
        `select coalesce(max(position), 0)::text as head from ${this.options.table}`,
      );
      this.newest = Number(rows[0]?.head ?? 0);
    } catch (err) {
      await this.close();
      throw err;
    }
    this.ring = new RowRing<Row>(this.options.bufferSize ?? 10_000, this.newest);
    this.poll = setInterval(() => this.wake(), this.pollMs);
    // Notifications that came while starting were held back (no ring yet): look now.
    this.wake();
  }

  /** The highest position this tail has seen. */
  get head(): number {
    return this.newest;
  }

  /**
   * Every row with position > after, in position order, in batches: first what is already in the
   * table (from the ring when it reaches back far enough, else from the table), then live rows as
   * they commit. No gap, no duplicate. Ends when `signal` aborts or the tail closes; a failed
   * table read throws.
   */
  async *read(
    after: number,
    signal?: AbortSignal,
    /** Only rows with this key (see `keyOf`); batches without one are skipped. */
    key?: string,
  ): AsyncGenerator<Row[], void, undefined> {
    const ring = this.ring;
    if (!ring) throw new Error('OutboxTail.read() before start()');
    const keyOf = key === undefined ? undefined : this.options.keyOf;
    let cursor = after;
    while (!this.closed && !signal?.aborted) {
      const rows = ring.after(cursor, this.batchSize) ?? (await this.select(cursor));
      if (rows === undefined || signal?.aborted) return; // closed or aborted during the query
      if (rows.length === 0) {
        // Nothing newer than the cursor yet; the check above and this wait are one synchronous step.
        if (keyOf) cursor = Math.max(cursor, await this.arrivedFor(key!, signal));
        else await this.advanced(signal);
        continue;
      }
      cursor = rows[rows.length - 1]!.position;
      const wanted = keyOf ? rows.filter((row) => keyOf(row) === key) : rows;
      if (wanted.length > 0) yield wanted;
    }
  }

  /**
   * Calls `observer` with each batch of new rows, in position order, as the tail takes them in:
   * synchronously, after `head` has moved past them and before any reader is woken. A process
   * can so route rows to its subscribers itself (one pass per row, however many subscribe), and
   * act on a row (drop a cached answer) before anyone reads the rows after it. Returns the
   * function that stops it.
   */
  observe(observer: (rows: readonly Row[]) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /**
   * Resolves when the tail has looked at the table after this call (one fetch pass begun after
   * it has ended): whatever had committed before the call is then in `head` and has been seen by
   * the observers. Calls at the same moment share one pass. A failed look resolves too (it is
   * logged; the next wakeup tries again).
   */
  refresh(): Promise<void> {
    if (this.closed || !this.ring) return Promise.resolve();
    const pass = this.passesBegun + 1;
    const done = new Promise<void>((resolve) => this.passWaiters.push({ pass, done: resolve }));
    this.wake();
    return done;
  }

  /** Stops listening, ends every read, releases connections. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.poll);
    for (const wake of [...this.waiters]) wake();
    for (const waiters of [...this.keyed.values()]) for (const wake of [...waiters]) wake(0);
    this.passEnded(Infinity);
    await this.listener?.close();
    await this.fetching;
    await this.pool.end();
  }

  /** Asks the fetch loop to look for new rows; wakeups while it runs coalesce into one more pass. */
  private wake(): void {
    if (this.closed || !this.ring) return;
    this.wanted = true;
    this.fetching ??= this.fetchLoop();
  }

  private async fetchLoop(): Promise<void> {
    try {
      while (this.wanted && !this.closed) {
        this.wanted = false;
        const pass = ++this.passesBegun;
        await this.fetchNew();
        this.passEnded(pass);
      }
    } finally {
      this.fetching = undefined;
      if (this.closed) this.passEnded(Infinity);
    }
  }

  /** Reads everything after the head into the ring, batch by batch, waking readers each time. */
  private async fetchNew(): Promise<void> {
    for (;;) {
      let rows: Row[] | undefined;
      try {
        rows = await this.select(this.newest);
      } catch (err) {
        // The next wakeup (at the latest the poll) tries again.
        this.options.log.warn({ err, table: this.options.table }, 'outbox fetch failed');
        return;
      }
      if (!rows?.length) return;
      this.ring!.push(rows);
      const before = this.newest;
      this.newest = rows[rows.length - 1]!.position;
      for (const observer of [...this.observers]) {
        try {
          observer(rows);
        } catch (err) {
          this.options.log.error({ err, table: this.options.table }, 'outbox observer failed');
        }
      }
      for (const wake of [...this.waiters]) wake();
      this.wakeKeyed(rows, before);
      if (rows.length < this.batchSize) return;
    }
  }

  private passEnded(pass: number): void {
    for (let i = this.passWaiters.length - 1; i >= 0; i--) {
      const waiter = this.passWaiters[i]!;
      if (waiter.pass <= pass) {
        this.passWaiters.splice(i, 1);
        waiter.done();
      }
    }
  }

  /** Rows after `after` from the table; `undefined` once the tail is closed. */
  private async select(after: number): Promise<Row[] | undefined> {
    if (this.closed) return undefined;
    try {
      const { rows } = await this.pool.query<Record<string, unknown>>(
        `select * from ${this.options.table} where position > $1 order by position limit $2`,
        [after, this.batchSize],
      );
      return rows.map((raw) => this.options.map(raw));
    } catch (err) {
      if (this.closed) return undefined;
      throw err;
    }
  }

  /** Wakes the readers of the keys in `rows`, to resume after `before` (the previous head). */
  private wakeKeyed(rows: Row[], before: number): void {
    const keyOf = this.options.keyOf;
    if (!keyOf || this.keyed.size === 0) return;
    for (const key of new Set(rows.map(keyOf))) {
      const waiters = this.keyed.get(key);
      if (waiters) for (const wake of [...waiters]) wake(before);
    }
  }

  /**
   * Resolves, with the position to resume after, when rows with `key` arrive, the tail closes or
   * `signal` aborts (then with 0: resume where the reader was).
   */
  private arrivedFor(key: string, signal?: AbortSignal): Promise<number> {
    return new Promise((resolve) => {
      let waiters = this.keyed.get(key);
      if (!waiters) this.keyed.set(key, (waiters = new Set()));
      const done = (resumeAfter: number) => {
        waiters.delete(done);
        if (waiters.size === 0 && this.keyed.get(key) === waiters) this.keyed.delete(key);
        signal?.removeEventListener('abort', aborted);
        resolve(resumeAfter);
      };
      const aborted = () => done(0);
      waiters.add(done);
      signal?.addEventListener('abort', aborted, { once: true });
    });
  }

  /** Resolves when the head moves, the tail closes or `signal` aborts. */
  private advanced(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer`);
  }
  return value;
}
