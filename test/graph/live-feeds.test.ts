import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from 'graphql-ws';
import { WebSocket } from 'ws';
import type { RunningGateway } from '../../gateway/server.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import {
  startAnotherGateway,
  startTestGraph,
  type SubgraphFixture,
  type TestGraph,
} from '../harness/graph.js';
import { CuttableProxy } from '../harness/proxy.js';
import { ORG, reader, send as sendTo } from '../subgraphs/meldingsboks/helpers.js';
import {
  BAKERY_FEED,
  bakerySender,
  CONFIRMED_MS,
  LIVE_MS,
  sleep,
  toWs,
  until,
} from './subscriptionHelpers.js';

/**
 * Live feeds with the stock graphql-ws client as a firm's developer would use it: its own retry,
 * a `connectionParams` function that mints a token, nothing else. The socket is cut by a proxy,
 * as a network would cut it; the client comes back by itself with the same subscription id and
 * variables, and the gateway resumes from the last event the client confirmed.
 */

let db: TestDatabase;
let graph: TestGraph;
/** A second gateway instance on the same database and subgraphs. */
let second: RunningGateway;
let proxy: CuttableProxy;
const clients: Client[] = [];

const MAX_PER_CONNECTION = 5;

beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url, {
    subscriptionLimits: { maxSubscriptionsPerConnection: MAX_PER_CONNECTION },
  });
  second = await startAnotherGateway(graph, { databaseUrl: db.url });
  proxy = await CuttableProxy.start(graph.gateway.port);
});
afterAll(async () => {
  for (const c of clients) await c.dispose();
  await proxy?.close();
  await second?.close();
  await graph?.close();
  await db?.drop();
});

const send = bakerySender(() => graph, 'live');

/** A stock graphql-ws client through the proxy: default retries, a fresh token per connection. */
function stockClient(expiresIn = 300) {
  const closes: number[] = [];
  const client = createClient({
    url: toWs(proxy.url()),
    webSocketImpl: WebSocket,
    connectionParams: async () => ({
      authorization: `Bearer ${await graph.issuer.token({ ...reader(ORG.bakeri), expiresIn })}`,
    }),
    on: { closed: (e) => void closes.push((e as { code: number }).code) },
  });
  clients.push(client);
  const ids: string[] = [];
  const errors: unknown[] = [];
  client.subscribe(
    { query: BAKERY_FEED, variables: { recipient: ORG.bakeri } },
    {
      next: (r) => {
        if (r.errors) errors.push(...r.errors);
        const id = (r.data as { messagePublished?: { message: { id: string } } })?.messagePublished
          ?.message.id;
        if (id) ids.push(id);
      },
      error: (e) => errors.push(e),
      complete: () => undefined,
    },
  );
  return { client, ids, errors, closes };
}

/** Each of `expected` exactly once, in order, and nothing else. */
async function deliveredOnce(ids: string[], expected: string[]) {
  await until(() => expected.every((id) => ids.includes(id)), 20_000);
  await sleep(500);
  expect(ids).toEqual(expected);
}

describe('lossless reconnect with the stock graphql-ws client', () => {
  it('resumes after a cut socket: what was sent meanwhile arrives once, nothing repeats', async () => {
    const feed = stockClient();
    await sleep(LIVE_MS);
    const before = await send('before the cut');
    await until(() => feed.ids.includes(before.id));
    await sleep(CONFIRMED_MS);
    proxy.cut();
    const during = [await send('during the gap'), await send('during the gap too')];
    await deliveredOnce(feed.ids, [before.id, ...during.map((m) => m.id)]);
    expect(feed.errors).toEqual([]);
  }, 40_000);

  it('resumes on another gateway instance, from the position the first one wrote', async () => {
    const feed = stockClient();
    await sleep(LIVE_MS);
    const before = await send('before the move');
    await until(() => feed.ids.includes(before.id));
    await sleep(CONFIRMED_MS);
    // The next connection lands on the second instance, which shares only the database.
    proxy.retarget(second.port);
    try {
      proxy.cut();
      const during = await send('while moving');
      await deliveredOnce(feed.ids, [before.id, during.id]);
      expect(feed.errors).toEqual([]);
    } finally {
      proxy.retarget(graph.gateway.port);
    }
  }, 40_000);

  it('an expired token closes with 4403; the client comes back with a fresh one and misses nothing', async () => {
    const feed = stockClient(3);
    await sleep(LIVE_MS);
    const before = await send('before the expiry');
    await until(() => feed.ids.includes(before.id));
    await until(() => feed.closes.includes(4403), 10_000);
    const after = await send('right after the expiry');
    await deliveredOnce(feed.ids, [before.id, after.id]);
    expect(feed.errors).toEqual([]);
  }, 40_000);
});

describe('a gateway that shuts down', () => {
  it('closes with 1012; the client moves to another instance and resumes where it was', async () => {
    // A third instance to stop, with the proxy in front of it.
    const leaving = await startAnotherGateway(graph, { databaseUrl: db.url });
    proxy.retarget(leaving.port);
    try {
      const feed = stockClient();
      await sleep(LIVE_MS);
      const before = await send('before the shutdown');
      await until(() => feed.ids.includes(before.id));
      await sleep(CONFIRMED_MS);
      // What an orchestrator does in a rolling deploy: new connections go elsewhere, then SIGTERM.
      proxy.retarget(second.port);
      await leaving.close();
      await until(() => feed.closes.includes(1012), 10_000);
      const after = await send('after the shutdown');
      await deliveredOnce(feed.ids, [before.id, after.id]);
      expect(feed.errors).toEqual([]);
    } finally {
      proxy.retarget(graph.gateway.port);
      await leaving.close();
    }
  }, 40_000);
});

describe('hostile sockets', () => {
  it('holds the operations-per-connection limit under a burst of subscribes', async () => {
    const token = await graph.issuer.token(reader(ORG.bakeri));
    const socket = new WebSocket(toWs(graph.gateway.url), 'graphql-transport-ws');
    const messages: Array<{ type: string; id?: string; payload?: unknown }> = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(
      JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }),
    );
    await until(() => messages.some((m) => m.type === 'connection_ack'));
    const burst = 30;
    for (let i = 0; i < burst; i++) {
      socket.send(
        JSON.stringify({
          id: `s${i}`,
          type: 'subscribe',
          payload: { query: BAKERY_FEED, variables: { recipient: ORG.bakeri } },
        }),
      );
    }
    const refused = () =>
      messages.filter(
        (m) =>
          m.type === 'error' &&
          (m.payload as Array<{ extensions?: { code?: string } }>)[0]?.extensions?.code ===
            'OPERATION_LIMIT',
      );
    await until(() => refused().length >= burst - MAX_PER_CONNECTION);
    await sleep(500);
    expect(refused()).toHaveLength(burst - MAX_PER_CONNECTION);
    socket.close();
  });

  it('caps anonymous connections per address (4403) and in all (1013)', async () => {
    const capped = await startAnotherGateway(graph, {
      edge: { trustedProxies: ['loopback'] },
      subscriptionLimits: { maxConnectionsPerToken: 3, maxAnonymousConnections: 5 },
    });
    const open = async (address: string) => {
      const ws = new WebSocket(toWs(capped.url), 'graphql-transport-ws', {
        headers: { 'x-forwarded-for': address },
      });
      let code: number | undefined;
      let acked = false;
      ws.on('close', (c) => (code = c));
      ws.on('message', (d) => (acked ||= JSON.parse(String(d)).type === 'connection_ack'));
      await new Promise((resolve) => ws.once('open', resolve));
      ws.send(JSON.stringify({ type: 'connection_init', payload: {} }));
      await until(() => acked || code !== undefined);
      return { ws, code: () => code };
    };
    try {
      const a = [];
      for (let i = 0; i < 4; i++) a.push(await open('198.51.100.61'));
      // Three per address: the fourth from the same address is refused, whatever its spelling.
      expect(a.map((s) => s.code())).toEqual([undefined, undefined, undefined, 4403]);
      const b = [await open('198.51.100.62'), await open('198.51.100.63')];
      expect(b.map((s) => s.code())).toEqual([undefined, undefined]);
      // Five anonymous in all: a sixth, from an address with none yet, is told to come back.
      const c = await open('198.51.100.64');
      expect(c.code()).toBe(1013);
      for (const s of [...a, ...b, c]) s.ws.close();
    } finally {
      await capped.close();
    }
  });

  it('closes a client that stops reading with 1013 once a few MiB wait for it, not at its leisure', async () => {
    const bound = 2 * 1024 * 1024;
    const strict = await startAnotherGateway(graph, {
      subscriptionLimits: { maxBufferedBytes: bound, maxBufferedEvents: 100_000 },
    });
    const token = await graph.issuer.token(reader(ORG.bakeri));
    const socket = new WebSocket(toWs(strict.url), 'graphql-transport-ws');
    let closedWith: number | undefined;
    socket.on('close', (code) => (closedWith = code));
    const acked = new Promise((resolve) => socket.once('message', resolve));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(
      JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }),
    );
    await acked;
    socket.send(
      JSON.stringify({
        id: 'big',
        type: 'subscribe',
        payload: {
          query: `subscription ($recipient: String!) { messagePublished(recipient: $recipient) {
            message { id attachments { contentBase64 } } } }`,
          variables: { recipient: ORG.bakeri },
        },
      }),
    );
    await sleep(LIVE_MS);
    // The client stops reading: what the gateway sends piles up in the kernel, then in the gateway.
    (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const content = Buffer.alloc(600 * 1024, 7).toString('base64');
    const fixture = { subgraph: graph.subgraphs.get('meldingsboks')! } as SubgraphFixture;
    for (let i = 0; i < 12; i++) {
      await sendTo(fixture, {
        recipient: ORG.bakeri,
        title: `big ${i}`,
        attachments: [
          { name: `big-${i}.bin`, contentType: 'application/octet-stream', contentBase64: content },
        ],
      });
    }
    // The client reads again: what the kernel held, then the close the gateway sent when the
    // bytes waiting passed the bound (with a far higher bound, no close comes at all).
    (socket as unknown as { _socket: { resume(): void } })._socket.resume();
    await until(() => closedWith !== undefined, 15_000);
    expect(closedWith).toBe(1013);
    await strict.close();
  }, 60_000);
});
