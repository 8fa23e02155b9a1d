import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxRelay } from '../../platform/events/relay.js';
import { OutboxTail } from '../../platform/events/tail.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { LogCapture } from '../harness/logCapture.js';

interface Event {
  position: number;
  body: string;
}

let db: TestDatabase;
let writers: pg.Pool;
const logs = new LogCapture();

beforeAll(async () => {
  db = await createTestDatabase();
  writers = new pg.Pool({ connectionString: db.url, max: 8 });
  await db.query('create schema rl');
  await db.query(
    'create table rl.outbox (id bigserial primary key, position bigint unique, body text not null)',
  );
  await db.query(
    'create table rl.lease (name text primary key, holder text not null, token bigint not null, expires_at timestamptz not null)',
  );
});
afterAll(async () => {
  await writers?.end();
  await db?.drop();
});

const relay = () =>
  new OutboxRelay({
    databaseUrl: db.url,
    table: 'rl.outbox',
    rawChannel: 'rl_raw',
    channel: 'rl_outbox',
    lockName: 'rl.relay',
    leaseTable: 'rl.lease',
    log: logs.log,
    pollMs: 200,
  });

/** Writes as a subgraph does: no lock, a NOTIFY to the relay on commit; `hold` keeps it open. */
async function write(body: string, hold = 0): Promise<void> {
  const c = await writers.connect();
  try {
    await c.query('begin');
    await c.query('insert into rl.outbox (body) values ($1)', [body]);
    await c.query(`select pg_notify('rl_raw', '')`);
    if (hold) await new Promise((r) => setTimeout(r, hold));
    await c.query('commit');
  } finally {
    c.release();
  }
}

describe('OutboxRelay', () => {
  it('positions rows in commit order, gap-free, once, with two relays running', async () => {
    const [a, b] = [relay(), relay()];
    await a.start();
    await b.start();
    const tail = new OutboxTail<Event>({
      databaseUrl: db.url,
      table: 'rl.outbox',
      channel: 'rl_outbox',
      map: (raw) => ({ position: Number(raw.position), body: String(raw.body) }),
      log: logs.log,
      pollMs: 60_000,
    });
    await tail.start();
    const seen: Event[] = [];
    const stop = new AbortController();
    const reading = (async () => {
      for await (const batch of tail.read(0, stop.signal)) seen.push(...batch);
    })();
    try {
      // A transaction that began first but commits last must come last, not fill a hole behind.
      const late = write('late', 600);
      await new Promise((r) => setTimeout(r, 50));
      await Promise.all(Array.from({ length: 40 }, (_, i) => write(`w${i}`)));
      await late;
      await expect.poll(() => seen.length, { timeout: 5000 }).toBe(41);
      expect(seen.map((e) => e.position)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
      expect(seen.at(-1)!.body).toBe('late');

      // The leader goes; the other takes over.
      await a.close();
      await Promise.all(Array.from({ length: 5 }, (_, i) => write(`after${i}`)));
      await expect.poll(() => seen.length, { timeout: 5000 }).toBe(46);
      expect(new Set(seen.map((e) => e.position)).size).toBe(46);
    } finally {
      stop.abort();
      await reading;
      await tail.close();
      await a.close();
      await b.close();
    }
  });
});
