import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { startTestGraph, type SubgraphFixture, type TestGraph } from '../harness/graph.js';
import { post } from '../harness/graphql.js';
import { publishSql } from '../../bench/meldingsboks/latency.js';
import { ORG, send as sendTo } from '../subgraphs/meldingsboks/helpers.js';
import { disposeAll, LIVE_MS, openSocket, sleep, until, type Feed } from './subscriptionHelpers.js';

/**
 * The rest-of-plan fetches of subscription events are gathered per tick into one `_entities`
 * request per subgraph, and only among subscribers of the very same identity: what a subgraph
 * masks per caller (varsling's notice addresses) never reaches another caller.
 */

/** Long enough that events arriving together surely share a tick. */
const TICK_MS = 50;

let db: TestDatabase;
let graph: TestGraph;

beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url, { metricsPort: 0, subscriptionBatchMs: TICK_MS });
});
afterEach(() => disposeAll());
afterAll(async () => {
  await graph?.close();
  await db?.drop();
});

type Claims = Parameters<TestGraph['as']>[0];
const owner: Claims = { sub: 'bakery-frontend', org: ORG.bakeri, scope: 'dpv:read' };
/** NORDLYS REGNSKAP: the bakery's REGN, granted ALL_DPV. */
const firm: Claims = { sub: 'firm-frontend', org: ORG.regnskap, scope: 'dpv:read' };

const fixture = () => ({ subgraph: graph.subgraphs.get('meldingsboks')! }) as SubgraphFixture;

/** Requests the gateway has sent to `subgraph`, from its metrics. */
async function fetchesTo(subgraph: string): Promise<number> {
  const text = await (await fetch(graph.gateway.metricsUrl!)).text();
  const line = text
    .split('\n')
    .find((l) =>
      l.startsWith(`dpv_gateway_subgraph_fetch_duration_seconds_count{subgraph="${subgraph}"}`),
    );
  return line ? Number(line.split(' ').pop()) : 0;
}

async function addresses(id: string, claims: Claims): Promise<(string | null)[]> {
  const r = await post(
    graph.gateway.url,
    `query ($id: ID!) { message(id: $id) { notifications { address } } }`,
    { id },
    await graph.as(claims),
  );
  expect(r.errors).toBeUndefined();
  return (r.data.message.notifications as { address: string | null }[]).map((n) => n.address);
}

interface Change {
  status: string;
  messageId: string;
  message: { id: string; notifications: { address: string | null }[] } | null;
}

const CHANGES = `subscription ($recipient: String!) {
  inboxChanged(recipient: $recipient) { status messageId message { id notifications { address } } } }`;

async function follow<T>(claims: Claims, query: string): Promise<Feed<T>> {
  const socket = openSocket(graph.gateway.url, await graph.as(claims));
  return socket.subscribe<T>(query, { recipient: ORG.bakeri });
}

describe('batched rest-of-plan fetches of subscription events', () => {
  it('two identities get the same event in one tick: each sees only its own view of the addresses', async () => {
    // A message that must be notified: varsling plans its notice to the bakery's address.
    const m = await sendTo(fixture(), { classification: 'VARSLINGSPLIKT' });
    await until(async () => (await addresses(m.id, owner)).some((a) => a !== null), 20_000);
    const full = await addresses(m.id, owner);
    const masked = await addresses(m.id, firm);
    expect(masked).not.toEqual(full);

    const mine = await follow<Change>(owner, CHANGES);
    const theirs = await follow<Change>(firm, CHANGES);
    await sleep(LIVE_MS);
    // One event (the message read), routed to both feeds at once.
    const r = await post(
      graph.gateway.url,
      `mutation ($id: ID!) { markMessageAsRead(id: $id) { id } }`,
      { id: m.id },
      await graph.as({ ...owner, sub: 'colleague' }),
    );
    expect(r.errors).toBeUndefined();
    const read = (feed: Feed<Change>) =>
      feed.events.find((e) => e.messageId === m.id && e.status === 'READ');
    await until(() => read(mine) !== undefined && read(theirs) !== undefined);
    expect(mine.errors).toEqual([]);
    expect(theirs.errors).toEqual([]);
    expect(read(mine)!.message!.notifications.map((n) => n.address)).toEqual(full);
    expect(read(theirs)!.message!.notifications.map((n) => n.address)).toEqual(masked);
  }, 40_000);

  it('many subscribers of one identity: fewer fetches than events, every event delivered to each', async () => {
    const FEEDS = 6;
    const MESSAGES = 8;
    const query = `subscription ($recipient: String!) {
      messagePublished(recipient: $recipient) { message { id notifications { kind } } } }`;
    const feeds: Feed<{ message: { id: string } }>[] = [];
    for (let i = 0; i < FEEDS; i++) feeds.push(await follow(owner, query));
    await sleep(LIVE_MS);
    const before = await fetchesTo('varsling');
    // Published together (one transaction, as a mass sending commits), so their events arrive
    // together.
    const sent = Array.from({ length: MESSAGES }, () => ({
      id: randomUUID(),
      recipient: ORG.bakeri,
    }));
    await db.query(
      publishSql(sent, 'Batchtest').replace(
        'begin;',
        'begin; set local search_path to meldingsboks, public;',
      ),
    );
    const ids = sent.map((m) => m.id).sort();
    await until(() => feeds.every((f) => f.events.length >= MESSAGES), 20_000);
    await sleep(2 * TICK_MS);
    for (const feed of feeds) {
      expect(feed.errors).toEqual([]);
      expect(feed.events.map((e) => e.message.id).sort()).toEqual(ids);
    }
    // Without batching each distinct message needs a fetch of its own (at least MESSAGES, up to
    // FEEDS × MESSAGES); events of one tick share one.
    const fetches = (await fetchesTo('varsling')) - before;
    expect(fetches).toBeGreaterThan(0);
    expect(fetches).toBeLessThan(MESSAGES);
  }, 40_000);
});
