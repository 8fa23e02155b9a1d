import { ApolloClient, gql, HttpLink, InMemoryCache, split } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import {
  cacheExchange,
  Client as UrqlClient,
  fetchExchange,
  subscriptionExchange,
} from '@urql/core';
import { createClient, type Client as WsClient } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pipe, subscribe } from 'wonka';
import { WebSocket } from 'ws';
import { definition as meldingsboks } from '../../subgraphs/meldingsboks/index.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { startTestGraph, startTestSubgraph, type TestGraph } from '../harness/graph.js';
import { CuttableProxy } from '../harness/proxy.js';
import { ORG, reader } from '../subgraphs/meldingsboks/helpers.js';
import {
  BAKERY_FEED,
  bakerySender,
  CONFIRMED_MS,
  LIVE_MS,
  sleep,
  toWs,
} from './subscriptionHelpers.js';

/**
 * Live feeds with Apollo Client 4 and urql 6, set up as a firm's frontend developer would set
 * them up (their docs' recipes over a stock graphql-ws client, a `connectionParams` function that
 * mints a token, nothing else), through a proxy that cuts the socket as a network would. The
 * scenarios of live-feeds.test.ts: a cut socket, an expired token, and a restart of meldingsboks
 * under them. Each test records what it expected and what came, and afterAll prints the table.
 */

let db: TestDatabase;
let graph: TestGraph;
let proxy: CuttableProxy;

beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url);
  proxy = await CuttableProxy.start(graph.gateway.port);
});
/** What the open test's feed needs stopped (its subscription, its client, its socket). */
let stopFeed: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stopFeed?.();
  stopFeed = undefined;
});
afterAll(async () => {
  printSummary();
  await proxy?.close();
  // A restarted meldingsboks replaces the first in graph.subgraphs, so this closes it too.
  await graph?.close();
  await db?.drop();
});

const send = bakerySender(() => graph, 'stock');

interface MessagePublished {
  messagePublished?: { cursor: string; message: { id: string } };
}

/** One subscription's view, whichever client library it goes through. */
interface Feed {
  /** Message ids, in the order the library handed them to the app. */
  ids: string[];
  /** GraphQL or transport errors the library handed to the app. */
  errors: unknown[];
  /** Close codes of the sockets underneath. */
  closes: number[];
  /** connection_ack count: 1 plus each time the client came back. */
  connects: number;
  /** Tokens `connectionParams` minted: one per connection attempt. */
  tokens: number;
  stop(): Promise<void>;
}

/** The stock graphql-ws client that both libraries' recipes wrap: its own retry, nothing else. */
function wsClient(feed: Feed, expiresIn: number): WsClient {
  return createClient({
    url: toWs(proxy.url()),
    webSocketImpl: WebSocket,
    connectionParams: async () => {
      feed.tokens++;
      const token = await graph.issuer.token({ ...reader(ORG.bakeri), expiresIn });
      return { authorization: `Bearer ${token}` };
    },
    on: {
      connected: () => void feed.connects++,
      closed: (e) => void feed.closes.push((e as { code: number }).code),
    },
  });
}

function emptyFeed(): Feed {
  return { ids: [], errors: [], closes: [], connects: 0, tokens: 0, stop: async () => {} };
}

/** Apollo Client 4 as its docs set it up: subscriptions over GraphQLWsLink, the rest over HTTP. */
async function apolloFeed(expiresIn: number): Promise<Feed> {
  const feed = emptyFeed();
  const ws = wsClient(feed, expiresIn);
  const client = new ApolloClient({
    cache: new InMemoryCache(),
    link: split(
      ({ query }) => {
        const d = getMainDefinition(query);
        return d.kind === 'OperationDefinition' && d.operation === 'subscription';
      },
      new GraphQLWsLink(ws),
      new HttpLink({ uri: proxy.url(), headers: await graph.as(reader(ORG.bakeri)) }),
    ),
  });
  const subscription = client
    .subscribe<MessagePublished>({ query: gql(BAKERY_FEED), variables: { recipient: ORG.bakeri } })
    .subscribe({
      next: ({ data, error }) => {
        if (error) feed.errors.push(error);
        const id = data?.messagePublished?.message.id;
        if (id) feed.ids.push(id);
      },
      error: (e) => void feed.errors.push(e),
    });
  feed.stop = async () => {
    subscription.unsubscribe();
    client.stop();
    await ws.dispose();
  };
  return feed;
}

/** urql 6 as its docs set it up: subscriptionExchange forwarding to graphql-ws. */
async function urqlFeed(expiresIn: number): Promise<Feed> {
  const feed = emptyFeed();
  const ws = wsClient(feed, expiresIn);
  const client = new UrqlClient({
    url: proxy.url(),
    fetchOptions: { headers: await graph.as(reader(ORG.bakeri)) },
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => {
          const input = { ...request, query: request.query || '' };
          return { subscribe: (sink) => ({ unsubscribe: ws.subscribe(input, sink) }) };
        },
      }),
    ],
  });
  const subscription = pipe(
    client.subscription<MessagePublished>(BAKERY_FEED, { recipient: ORG.bakeri }),
    subscribe((result) => {
      if (result.error) feed.errors.push(result.error);
      const id = result.data?.messagePublished?.message.id;
      if (id) feed.ids.push(id);
    }),
  );
  feed.stop = async () => {
    subscription.unsubscribe();
    await ws.dispose();
  };
  return feed;
}

const LIBRARIES = [
  ['Apollo Client 4', apolloFeed],
  ['urql 6', urqlFeed],
] as const;

interface Row {
  client: string;
  scenario: string;
  expected: number;
  delivered: number;
  repeated: number;
  /** Ids as they came, when they were not exactly the expected ones in order. */
  note: string;
}
const summary: Row[] = [];

function printSummary() {
  if (!summary.length) return;
  const columns = ['client', 'scenario', 'expected', 'delivered', 'repeated', 'note'] as const;
  const cells = summary.map((row) => columns.map((c) => String(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) =>
    `| ${r.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(
    [
      'Stock clients through a cut socket, an expired token and a subgraph restart:',
      line(columns),
      `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
      ...cells.map(line),
    ].join('\n'),
  );
}

/**
 * Waits (20 s at most) for every expected id, gives repeats half a second to show, records the
 * row, then asserts: each of `expected` exactly once, in order, and nothing else.
 */
async function deliveredOnce(client: string, scenario: string, feed: Feed, expected: string[]) {
  const deadline = Date.now() + 20_000;
  while (!expected.every((id) => feed.ids.includes(id)) && Date.now() < deadline) await sleep(25);
  await sleep(500);
  const ids = [...feed.ids];
  const exact = JSON.stringify(ids) === JSON.stringify(expected);
  summary.push({
    client,
    scenario,
    expected: expected.length,
    delivered: expected.filter((id) => ids.includes(id)).length,
    repeated: ids.length - new Set(ids).size,
    note: exact ? '' : `expected ${expected.join(',')}; got ${ids.join(',')}`,
  });
  expect(ids).toEqual(expected);
}

/** Polls `check` (10 s unless told), without failing: the caller asserts what it needs. */
async function waitFor(check: () => boolean, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  while (!check() && Date.now() < deadline) await sleep(25);
}

describe.each(LIBRARIES)('lossless reconnect with %s', (client, open) => {
  it('a cut socket: what was sent meanwhile arrives once, in order, nothing repeats', async () => {
    const feed = await open(300);
    stopFeed = feed.stop;
    await sleep(LIVE_MS);
    const before = await send(`${client}, before the cut`);
    await waitFor(() => feed.ids.includes(before.id));
    await sleep(CONFIRMED_MS);
    proxy.cut();
    const during = [
      await send(`${client}, during the gap`),
      await send(`${client}, during the gap too`),
    ];
    await deliveredOnce(client, 'cut socket', feed, [before.id, ...during.map((m) => m.id)]);
    expect(feed.errors).toEqual([]);
    expect(feed.connects).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it('an expired token (4403): back with a fresh token, the next event once, none repeated', async () => {
    const feed = await open(3);
    stopFeed = feed.stop;
    await sleep(LIVE_MS);
    const before = await send(`${client}, before the expiry`);
    await waitFor(() => feed.ids.includes(before.id));
    await waitFor(() => feed.closes.includes(4403));
    expect(feed.closes).toContain(4403);
    const after = await send(`${client}, right after the expiry`);
    await deliveredOnce(client, 'token expiry (4403)', feed, [before.id, after.id]);
    expect(feed.errors).toEqual([]);
    // The retry asked connectionParams again, and that fresh token was let in.
    expect(feed.tokens).toBeGreaterThanOrEqual(2);
    expect(feed.connects).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it('a restart of meldingsboks under the feed: before, during and after, each once', async () => {
    const feed = await open(300);
    stopFeed = feed.stop;
    await sleep(LIVE_MS);
    const before = await send(`${client}, before the restart`);
    await waitFor(() => feed.ids.includes(before.id));

    const old = graph.subgraphs.get('meldingsboks')!;
    // Committed, perhaps published only once meldingsboks is back (its outbox).
    const stopping = await send(`${client}, right before the stop`);
    await old.close();
    const restarted = await startTestSubgraph(meldingsboks, db.url, {
      port: old.port,
      peers: { enhetsregisteret: graph.subgraphs.get('enhetsregisteret')!.url },
    });
    // Later sends use the new instance, and graph.close() closes it.
    graph.subgraphs.set('meldingsboks', restarted);
    const back = [
      await send(`${client}, right after the restart`),
      await send(`${client}, after the restart too`),
    ];
    await deliveredOnce(client, 'meldingsboks restart', feed, [
      before.id,
      stopping.id,
      ...back.map((m) => m.id),
    ]);
    expect(feed.errors).toEqual([]);
    // The gateway resubscribed upstream by itself: the client's socket never closed.
    expect(feed.closes).toEqual([]);
  }, 40_000);
});
