import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OutboxTail, type TailOptions } from '../../platform/events/tail.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { LogCapture } from '../harness/logCapture.js';

interface Event {
  position: number;
  body: string;
}

const CHANNEL = 'ev_outbox';
let db: TestDatabase;
/** Writers of their own: the burst test needs more connections than the harness pool has. */
let writers: pg.Pool;
const tails: Array<OutboxTail<Event>> = [];
const logs = new LogCapture();

beforeAll(async () => {
  db = await createTestDatabase();
  writers = new pg.Pool({ connectionString: db.url, max: 6 });
  await db.query('create schema ev');
  await db.query('create table ev.outbox (position bigserial primary key, body text not null)');
});
afterEach(async () => {
  await Promise.all(tails.splice(0).map((t) => t.close()));
  await db.query('truncate ev.outbox');
});
afterAll(async () => {
  await writers?.end();
  await db?.drop();
});

/** Appends as a subgraph does: serialized by an advisory lock, NOTIFY on commit. */
async function append(bodies: string[], { notify = true } = {}): Promise<void> {
  const c = await writers.connect();
  try {
    await c.query('begin');
    await c.query('select pg_advisory_xact_lock(4242)');
    await c.query('insert into ev.outbox (body) select unnest($1::text[])', [bodies]);
    if (notify) await c.query(`select pg_notify('${CHANNEL}', '')`);
    await c.query('commit');
  } catch (err) {
    await c.query('rollback');
    throw err;
  } finally {
    c.release();
  }
}

async function startTail(options: Partial<TailOptions<Event>> = {}): Promise<OutboxTail<Event>> {
  const tail = new OutboxTail<Event>({
    databaseUrl: db.url,
    table: 'ev.outbox',
    channel: CHANNEL,
    map: (raw) => ({ position: Number(raw.position), body: raw.body as string }),
    log: logs.log,
    // Long enough that a test passing by NOTIFY cannot be passing by poll.
    pollMs: 60_000,
    ...options,
  });
  tails.push(tail);
  await tail.start();
  return tail;
}

/** Reads until `count` rows have arrived (or 5 s pass), then stops the reader. */
async function take(tail: OutboxTail<Event>, after: number, count: number): Promise<Event[]> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), 5000);
  const rows: Event[] = [];
  for await (const batch of tail.read(after, stop.signal)) {
    rows.push(...batch);
    if (rows.length >= count) stop.abort();
  }
  clearTimeout(timer);
  return rows;
}

const bodies = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const tableRows = async (after = 0) =>
  (
    await db.query<{ position: string; body: string }>(
      'select position, body from ev.outbox where position > $1 order by position',
      [after],
    )
  ).map((r) => ({ position: Number(r.position), body: r.body }));

describe('OutboxTail', () => {
  it('yields the rows already in the table, then live ones, in order', async () => {
    await append(bodies('old', 3));
    const tail = await startTail();
    expect(tail.head).toBe((await tableRows()).at(-1)!.position);
    const reading = take(tail, 0, 7);
    await append(bodies('new', 2));
    await append(bodies('newer', 2));
    const rows = await reading;
    expect(rows).toEqual(await tableRows());
    expect(rows.map((r) => r.body)).toEqual([
      ...bodies('old', 3),
      ...bodies('new', 2),
      'newer0',
      'newer1',
    ]);
    expect(tail.head).toBe(rows.at(-1)!.position);
  });

  it('starts at head 0 on an empty table, and reads from a position in the middle', async () => {
    const tail = await startTail();
    expect(tail.head).toBe(0);
    await append(bodies('a', 5));
    const all = await take(tail, 0, 5);
    expect(await take(tail, all[1]!.position, 3)).toEqual(all.slice(2));
  });

  it('reads from the table a reader that is further behind than the buffer reaches', async () => {
    const tail = await startTail({ bufferSize: 2, batchSize: 3 });
    for (let i = 0; i < 4; i++) await append(bodies(`b${i}-`, 3));
    await expect.poll(() => tail.head).toBe((await tableRows()).at(-1)!.position);
    // The buffer holds the last 2 of 12 rows; both readers start before it.
    const reading = [take(tail, 0, 14), take(tail, (await tableRows()).at(4)!.position, 9)];
    await append(bodies('live', 2));
    const [fromStart, fromMiddle] = await Promise.all(reading);
    expect(fromStart).toEqual(await tableRows());
    expect(fromMiddle).toEqual((await tableRows()).slice(5));
  });

  it('loses nothing when no NOTIFY is sent: the poll finds it', async () => {
    const tail = await startTail({ pollMs: 50 });
    const reading = take(tail, 0, 4);
    await append(bodies('quiet', 2), { notify: false });
    await append(bodies('quiet-again', 2), { notify: false });
    expect(await reading).toEqual(await tableRows());
  });

  it('delivers every row exactly once to the reader of each of two tails (two instances)', async () => {
    const [one, two] = [await startTail(), await startTail()];
    const reading = [take(one, 0, 30), take(two, 0, 30)];
    for (let i = 0; i < 10; i++) await append(bodies(`t${i}-`, 3));
    const expected = await tableRows();
    expect(expected).toHaveLength(30);
    const [fromOne, fromTwo] = await Promise.all(reading);
    expect(fromOne).toEqual(expected);
    expect(fromTwo).toEqual(expected);
  });

  it('ends a read when its signal aborts, and every read when the tail closes', async () => {
    const tail = await startTail();
    const abort = new AbortController();
    const count = async (reader: AsyncIterable<Event[]>) => {
      let n = 0;
      for await (const batch of reader) n += batch.length;
      return n;
    };
    const aborted = count(tail.read(0, abort.signal));
    const closed = count(tail.read(0));
    setTimeout(() => abort.abort(), 50);
    expect(await aborted).toBe(0);
    await tail.close();
    expect(await closed).toBe(0);
    await tail.close(); // idempotent
  });

  it('delivers a burst of 5 concurrent transactions with no gap and no duplicate', async () => {
    const tail = await startTail({ batchSize: 7 });
    const reading = take(tail, 0, 100);
    await Promise.all(Array.from({ length: 5 }, (_, w) => append(bodies(`w${w}-`, 20))));
    const rows = await reading;
    expect(rows).toEqual(await tableRows());
    expect(rows).toHaveLength(100);
    expect(new Set(rows.map((r) => r.body)).size).toBe(100);
  });

  it('reconnects a LISTEN connection that drops, and hears NOTIFY again', async () => {
    const tail = await startTail();
    const killed = await db.query<{ ok: boolean }>(
      `select pg_terminate_backend(pid) as ok from pg_stat_activity
        where datname = current_database() and query ilike 'listen%'`,
    );
    expect(killed).toEqual([{ ok: true }]);
    await expect.poll(() => logs.find({ msg: 'LISTEN connection restored' }).length).toBe(1);
    const reading = take(tail, 0, 2);
    await append(bodies('after-reconnect', 2));
    expect(await reading).toEqual(await tableRows());
    expect(logs.find({ msg: 'LISTEN connection lost; reconnecting' })).toHaveLength(1);
  });
});

describe('reading one key', () => {
  /** Reads rows of `key` until `count` have arrived (or 5 s pass). */
  async function takeKey(tail: OutboxTail<Event>, after: number, key: string, count: number) {
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), 5000);
    const rows: Event[] = [];
    for await (const batch of tail.read(after, stop.signal, key)) {
      rows.push(...batch);
      if (rows.length >= count) stop.abort();
    }
    clearTimeout(timer);
    return rows;
  }

  it('gets every row of its key in order, live and after sleeping through many of others', async () => {
    // A ring of 5: the reader of "a" sleeps while 40 rows of "b" pass, more than the ring holds.
    const tail = await startTail({ keyOf: (e) => e.body[0]!, bufferSize: 5, batchSize: 7 });
    const a = takeKey(tail, tail.head, 'a', 3);
    const all = take(tail, tail.head, 45);
    await append(['a0']);
    await append(bodies('b', 40));
    await append(['b40', 'a1', 'b41', 'a2']);
    const rows = await a;
    expect(rows.map((r) => r.body)).toEqual(['a0', 'a1', 'a2']);
    const positions = rows.map((r) => r.position);
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    // A reader of everything still sees every row.
    expect((await all).map((r) => r.body)).toEqual(['a0', ...bodies('b', 41), 'a1', 'b41', 'a2']);
  });

  it('replays the rows of its key after a cursor, then goes live', async () => {
    const tail = await startTail({ keyOf: (e) => e.body[0]!, bufferSize: 3 });
    await append(['a0', 'b0', 'a1', 'b1', 'b2', 'b3']);
    const firstRows = await take(tail, 0, 6);
    const afterA0 = firstRows[0]!.position;
    const a = takeKey(tail, afterA0, 'a', 2);
    await append(['b4', 'a2']);
    expect((await a).map((r) => r.body)).toEqual(['a1', 'a2']);
  });
});
