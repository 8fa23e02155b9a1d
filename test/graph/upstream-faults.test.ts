import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../gateway/server.js';
import { bearer } from '../harness/graphql.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { startAnotherGateway, startTestGraph, type TestGraph } from '../harness/graph.js';
import { CuttableProxy } from '../harness/proxy.js';
import { ORG, reader } from '../subgraphs/meldingsboks/helpers.js';
import {
  BAKERY_FEED,
  bakerySender,
  connected,
  disposeAll,
  LIVE_MS,
  openSocket,
  sleep,
  type Feed,
  until,
} from './subscriptionHelpers.js';

/**
 * Faults between the gateway and the subgraph that owns a subscription: the gateway reaches
 * meldingsboks through a proxy that the test cuts, as a kill -9 of the subgraph or a network
 * loss would cut it (no close handshake), and PostgreSQL drops every connection mid-stream.
 */

let db: TestDatabase;
let graph: TestGraph;
let upstream: CuttableProxy;
let gateway: RunningGateway;

const GIVE_UP_MS = 1_500;

beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url);
  upstream = await CuttableProxy.start(graph.subgraphs.get('meldingsboks')!.port);
  gateway = await startAnotherGateway(graph, {
    databaseUrl: db.url,
    subgraphUrls: { meldingsboks: upstream.url() },
    subscriptionLimits: { upstreamGiveUpMs: GIVE_UP_MS },
  });
});
afterEach(() => disposeAll());
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
  await graph?.close();
  await db?.drop();
});

interface Event {
  cursor: string;
  message: { id: string; title: string; sender: { navn: string } };
}

const send = bakerySender(() => graph, 'upstream');

async function subscribe(): Promise<Feed<Event>> {
  const socket = openSocket(
    gateway.url,
    bearer(await graph.issuer.token({ ...reader(ORG.bakeri), expiresIn: 600 })),
  );
  await connected(socket);
  const feed = socket.subscribe<Event>(BAKERY_FEED, { recipient: ORG.bakeri });
  await sleep(LIVE_MS);
  return feed;
}

async function deliveredOnce(feed: Feed<Event>, expected: string[]) {
  const ids = () => feed.events.map((e) => e.message.id);
  await until(() => expected.every((id) => ids().includes(id)), 20_000);
  await sleep(500);
  expect(ids()).toEqual(expected);
  expect(feed.errors).toEqual([]);
  expect(feed.failures).toEqual([]);
}

describe('faults upstream of a live subscription', () => {
  it('resumes after an abrupt cut: what was sent meanwhile arrives once', async () => {
    const feed = await subscribe();
    const first = await send('before the cut');
    await until(() => feed.events.length === 1);
    upstream.cut();
    const second = await send('right after the cut');
    await deliveredOnce(feed, [first.id, second.id]);
  }, 30_000);

  it('resumes from where it started when the subgraph is lost before the first event', async () => {
    const feed = await subscribe();
    upstream.down();
    // Committed while the gateway cannot reach meldingsboks, before this feed saw any event.
    const during = await send('before any event, while unreachable');
    await sleep(300);
    upstream.up();
    await deliveredOnce(feed, [during.id]);
  }, 30_000);

  it('spreads subscriptions over several sockets to the subgraph, and a cut loses none of them', async () => {
    upstream.cut();
    const feeds = await Promise.all([0, 1, 2, 3].map(() => subscribe()));
    // Four subscriptions, four sockets (WS_UPSTREAM_CONNECTIONS), not one for all.
    expect(upstream.open).toBe(4);
    upstream.cut();
    const after = await send('after cutting every socket');
    for (const feed of feeds) await deliveredOnce(feed, [after.id]);
  }, 30_000);

  it('a quiet feed survives a second cut later than the give-up time after the first', async () => {
    const feed = await subscribe();
    const first = await send('before the cuts');
    await until(() => feed.events.length === 1);
    upstream.cut();
    // No event for longer than the gateway keeps trying: the clock restarted when it got back.
    await sleep(GIVE_UP_MS + 1_000);
    upstream.cut();
    const second = await send('right after the second cut');
    await deliveredOnce(feed, [first.id, second.id]);
  }, 30_000);

  it('goes on, each event once and in order, when PostgreSQL drops every connection mid-stream', async () => {
    const feed = await subscribe();
    const before = await send('before PostgreSQL drops its connections');
    await until(() => feed.events.length === 1);
    await db.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
       where datname = current_database() and pid <> pg_backend_pid()`,
    );
    // Senders retry as a client would: the first attempt may meet a dropped pool connection.
    const after: { id: string }[] = [];
    for (let i = 0; i < 3; i++) {
      for (let attempt = 0; ; attempt++) {
        try {
          after.push(await send(`after the drop ${i}`));
          break;
        } catch (err) {
          if (attempt >= 5) throw err;
          await sleep(200);
        }
      }
    }
    await deliveredOnce(feed, [before.id, ...after.map((m) => m.id)]);
  }, 40_000);
});
