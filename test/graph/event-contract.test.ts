import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { startTestGraph, type TestGraph } from '../harness/graph.js';
import { LogCapture } from '../harness/logCapture.js';
import { ORG, reader } from '../subgraphs/meldingsboks/helpers.js';
// After the harness, which loads the subgraphs (and reflect-metadata) first.
import { encodeCursor } from '../../platform/graphql/connection.js';
import { OutboxPruner } from '../../subgraphs/meldingsboks/services/pruner.js';
import {
  BAKERY_FEED,
  bakerySender,
  disposeAll,
  errorCodes,
  LIVE_MS,
  openSocket,
  sleep,
  until,
} from './subscriptionHelpers.js';

/**
 * Meldingsboks' events as a versioned contract (the view events_v1 and acknowledge_events_v1,
 * described in schema/events-v1.json), and their retention: pruned below both the window and the
 * slowest registered consumer, and a cursor older than what is kept answered CURSOR_EXPIRED.
 */

interface Contract {
  version: number;
  view: string;
  columns: Array<{ name: string; type: string }>;
  acknowledge: { function: string; arguments: string };
}
const contract = JSON.parse(readFileSync('schema/events-v1.json', 'utf8')) as Contract;

let db: TestDatabase;
let graph: TestGraph;
const send = bakerySender(() => graph, 'Retention');
const logs = new LogCapture();

beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url);
});
afterAll(async () => {
  await disposeAll();
  await graph?.close();
  await db?.drop();
});

const pruner = (batchSize?: number) =>
  new OutboxPruner(
    graph.subgraphs.get('meldingsboks')!.orm,
    { retentionMs: 0, intervalMs: 60_000, batchSize },
    logs.log,
  );
const head = async () =>
  Number(
    (await db.query(`select coalesce(max(position), 0)::int as p from meldingsboks.outbox`))[0]!.p,
  );
const consumer = async (name: string) =>
  Number(
    (
      await db.query(
        `select position::int as p from meldingsboks.outbox_consumer where name = $1`,
        [name],
      )
    )[0]?.p ?? -1,
  );
const kept = async (upTo: number) =>
  (
    await db.query(`select count(*)::int as n from meldingsboks.outbox where position <= $1`, [
      upTo,
    ])
  )[0]!.n as number;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('the event contract, version 1', () => {
  it('the view has exactly the columns schema/events-v1.json names, in its order', async () => {
    const [schema, view] = contract.view.split('.') as [string, string];
    const columns = await db.query<{ name: string; type: string }>(
      `select column_name as name, data_type as type from information_schema.columns
       where table_schema = $1 and table_name = $2 order by ordinal_position`,
      [schema, view],
    );
    expect(columns).toEqual(contract.columns.map(({ name, type }) => ({ name, type })));
    const [comment] = await db.query(`select obj_description($1::regclass) as c`, [contract.view]);
    expect(comment!.c).toMatch(new RegExp(`version ${contract.version}\\b`));
    const [fn] = await db.query(`select pg_get_function_identity_arguments($1::regproc) as args`, [
      contract.acknowledge.function,
    ]);
    expect(fn!.args).toBe(contract.acknowledge.arguments);
  });

  it('varsling reads the contract, never the outbox table', () => {
    const offenders = sources('subgraphs/varsling').filter((f) =>
      /meldingsboks\.outbox\b/.test(readFileSync(f, 'utf8')),
    );
    expect(offenders).toEqual([]);
    expect(readFileSync('subgraphs/varsling/settings.ts', 'utf8')).toContain(contract.view);
  });

  it('varsling registers as a consumer and acknowledges what it has handled', async () => {
    await send('acknowledged');
    const target = await head();
    await until(async () => (await consumer('varsling.engine')) >= target);
  });
});

describe('outbox retention', () => {
  it('prunes below the slowest registered consumer only, and says who holds it back', async () => {
    await send('before the stuck consumer');
    await until(async () => (await consumer('varsling.engine')) >= (await head()));
    const stuckAt = await head();
    await db.query(`select meldingsboks.acknowledge_events_v1('test.stuck', $1)`, [stuckAt]);
    for (let i = 0; i < 3; i++) await send(`after the stuck consumer ${i}`);
    const newest = await head();
    await until(async () => (await consumer('varsling.engine')) >= newest);

    const held = await pruner().pruneOnce();
    expect(held.prunedThrough).toBe(stuckAt);
    expect(held.holdingBack).toContainEqual({ consumer: 'test.stuck', position: stuckAt });
    expect(logs.find({ level: 40, consumer: 'test.stuck' })).not.toEqual([]);
    const left = await db.query<{ p: number }>(
      `select position::int as p from meldingsboks.outbox where position <= $1 order by p`,
      [newest],
    );
    expect(left.map((r) => r.p)).toEqual(
      Array.from({ length: newest - stuckAt }, (_, i) => stuckAt + 1 + i),
    );

    // A consumer never moves back; once it catches up, the rest may go.
    await db.query(`select meldingsboks.acknowledge_events_v1('test.stuck', 1)`);
    expect(await consumer('test.stuck')).toBe(stuckAt);
    await db.query(`select meldingsboks.acknowledge_events_v1('test.stuck', $1)`, [newest]);
    const all = await pruner().pruneOnce();
    // (Events newer than `newest` may have come meanwhile: both consumers may lag them.)
    expect(all.prunedThrough).toBeGreaterThanOrEqual(newest);
    expect(all.holdingBack.every((h) => h.position >= newest)).toBe(true);
    expect(await kept(newest)).toBe(0);
  });

  it('prunes in batches while writers go on: every new event kept, none waits on it', async () => {
    // 10 000 old events, positioned by the relay as usual (status changes varsling passes over).
    await db.query(
      `with w as (
         insert into meldingsboks.outbox (kind, message_id, recipient_orgnr, service_code, status)
         select 'StatusChanged', gen_random_uuid(), '310000001', '4255/1', 'Published'
         from generate_series(1, 10000) returning 1)
       select pg_notify('meldingsboks_outbox_raw', '') from w limit 1`,
    );
    await until(
      async () =>
        (
          await db.query(
            `select count(*)::int as n from meldingsboks.outbox where position is null`,
          )
        )[0]!.n === 0,
    );
    const old = await head();
    await db.query(`select meldingsboks.acknowledge_events_v1('test.stuck', $1)`, [old]);
    await until(async () => (await consumer('varsling.engine')) >= old, 60_000);

    const [due] = await db.query(
      `select count(*)::int as n from meldingsboks.outbox where position <= $1`,
      [old],
    );
    expect(due!.n).toBeGreaterThanOrEqual(10_000);
    const pruning = pruner(1_000).pruneOnce();
    const started = Date.now();
    const writes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => send(`during pruning ${i}`).then(() => Date.now())),
    );
    const result = await pruning;
    expect(result.prunedThrough).toBe(old);
    expect(result.deleted).toBe(due!.n);
    await until(
      async () =>
        (
          await db.query(
            `select count(*)::int as n from meldingsboks.outbox where position is null`,
          )
        )[0]!.n === 0,
    );
    const rows = await db.query<{ kind: string; p: number }>(
      `select kind, position::int as p from meldingsboks.outbox`,
    );
    expect(rows.every((r) => r.p > old)).toBe(true);
    expect(rows.filter((r) => r.kind === 'Published')).toHaveLength(20);
    console.log(
      `pruned 10 000 events in batches of 1 000; 20 concurrent sends done in ` +
        `${Math.max(...writes) - started} ms`,
    );
  }, 120_000);

  it('a cursor older than what is kept gets CURSOR_EXPIRED with the oldest that works', async () => {
    const token = await graph.issuer.token(reader(ORG.bakeri));
    const socket = openSocket(graph.gateway.url, { authorization: `Bearer ${token}` });
    const expired = socket.subscribe(BAKERY_FEED, {
      recipient: ORG.bakeri,
      after: encodeCursor([1]),
    });
    await until(() => expired.done);
    expect(errorCodes(expired)).toEqual(['CURSOR_EXPIRED']);
    const oldest = expired.errors[0]!.extensions!.oldestCursor as string;
    const [mark] = await db.query(
      `select pruned_through::int as p from meldingsboks.outbox_retention`,
    );
    expect(oldest).toBe(encodeCursor([mark!.p]));

    // From the oldest cursor still kept, the feed resumes: what is kept, then what comes.
    const resumed = socket.subscribe<{ message: { title: string } }>(BAKERY_FEED, {
      recipient: ORG.bakeri,
      after: oldest,
    });
    await sleep(LIVE_MS);
    const sent = await send('after the expiry');
    await until(() => resumed.events.some((e) => e.message.title === sent.title));
    expect(resumed.errors).toEqual([]);
  });

  it('meldingsboks serves the outbox lag per consumer, and a stuck consumer, as metrics', async () => {
    await db.query(`select meldingsboks.acknowledge_events_v1('test.lagging', 1)`);
    await send('for the metrics');
    // Positioned by the relay (after the commit): the head the metrics read is then settled.
    await until(
      async () =>
        (
          await db.query(
            `select count(*)::int as n from meldingsboks.outbox where position is null`,
          )
        )[0]!.n === 0,
    );
    const metrics = async () =>
      (await fetch(graph.subgraphs.get('meldingsboks')!.url.replace(/graphql$/, 'metrics'))).text();
    const value = (text: string, name: string) =>
      Number(new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    // Other events may still come in (the graph is live): the scraped head lies between the two.
    const headBefore = await head();
    let text = await metrics();
    const newest = value(text, 'dpv_outbox_head_position');
    expect(newest).toBeGreaterThanOrEqual(headBefore);
    expect(newest).toBeLessThanOrEqual(await head());
    expect(value(text, 'dpv_outbox_consumer_lag_events{consumer="test.lagging"}')).toBe(
      newest - (await consumer('test.lagging')),
    );
    expect(value(text, 'dpv_outbox_consumer_stuck{consumer="test.lagging"}')).toBe(0);
    expect(value(text, 'dpv_outbox_relay_leading')).toBe(1);
    // Behind, and silent for longer than five minutes: stuck.
    await db.query(
      `update meldingsboks.outbox_consumer set updated_at = now() - interval '10 minutes'
       where name = 'test.lagging'`,
    );
    text = await metrics();
    expect(value(text, 'dpv_outbox_consumer_stuck{consumer="test.lagging"}')).toBe(1);
    await until(async () => (await consumer('varsling.engine')) >= (await head()));
    text = await metrics();
    expect(value(text, 'dpv_outbox_consumer_lag_events{consumer="varsling.engine"}')).toBe(0);
    expect(value(text, 'dpv_outbox_consumer_stuck{consumer="varsling.engine"}')).toBe(0);
  });
});
