import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { startTestGraph, type TestGraph } from '../harness/graph.js';
import { ORG } from '../subgraphs/meldingsboks/helpers.js';
import {
  closed,
  connected,
  disposeAll,
  errorCodes,
  openSocket,
  until,
} from './subscriptionHelpers.js';

/** The gateway's graphql-ws limits and metrics, on a graph with small limits. */

let db: TestDatabase;
let graph: TestGraph;

beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url, {
    limits: { maxDepth: 4 },
    subscriptionLimits: {
      maxConnectionsPerToken: 2,
      maxSubscriptionsPerConnection: 2,
      maxBufferedEvents: 100,
    },
  });
});
afterEach(() => disposeAll());
afterAll(async () => {
  await graph?.close();
  await db?.drop();
});

const FEED = `subscription ($recipient: String!) {
  messagePublished(recipient: $recipient) { cursor message { id } } }`;

async function metric(name: string): Promise<number> {
  const text = await (await fetch(graph.gateway.url.replace('/graphql', '/metrics'))).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? NaN);
}

describe('limits', () => {
  it('refuses a third connection of one token with 4403, and accepts it once one closed', async () => {
    const auth = await graph.as({ org: ORG.bakeri, scope: 'dpv:read' });
    const first = openSocket(graph.gateway.url, auth);
    const second = openSocket(graph.gateway.url, auth);
    await connected(first);
    await connected(second);
    const third = openSocket(graph.gateway.url, auth);
    const refused = await closed(third);
    expect(refused.code).toBe(4403);
    expect(refused.reason).toMatch(/more than 2 connections/);
    expect(third.connectedAt).toBeNull();

    await first.dispose();
    const fourth = openSocket(graph.gateway.url, auth);
    await connected(fourth);
  });

  it('answers a third subscription on one connection with OPERATION_LIMIT; the first two go on', async () => {
    const socket = openSocket(
      graph.gateway.url,
      await graph.as({ org: ORG.bakeri, scope: 'dpv:read' }),
    );
    await connected(socket);
    const a = socket.subscribe(FEED, { recipient: ORG.bakeri });
    const b = socket.subscribe(FEED, { recipient: ORG.bakeri });
    await until(async () => (await metric('dpv_gateway_subscriptions_active')) === 2);
    const c = socket.subscribe(FEED, { recipient: ORG.bakeri });
    await until(() => c.done);
    expect(errorCodes(c)).toEqual(['OPERATION_LIMIT']);
    expect(c.errors[0]?.extensions).toMatchObject({ limit: 'subscriptionsPerConnection', max: 2 });
    expect(a.done || b.done).toBe(false);

    // Ending one frees its place.
    a.unsubscribe();
    await until(async () => (await metric('dpv_gateway_subscriptions_active')) === 1);
    const d = socket.subscribe(FEED, { recipient: ORG.bakeri });
    await until(async () => (await metric('dpv_gateway_subscriptions_active')) === 2);
    expect(d.errors).toEqual([]);
  });

  it('applies the operation limits to a subscription as over HTTP', async () => {
    const socket = openSocket(
      graph.gateway.url,
      await graph.as({ org: ORG.bakeri, scope: 'dpv:read' }),
    );
    await connected(socket);
    const deep = socket.subscribe(
      `subscription ($recipient: String!) { messagePublished(recipient: $recipient) {
        message { sender { organisasjonsform { kode } } } } }`,
      { recipient: ORG.bakeri },
    );
    await until(() => deep.done);
    expect(errorCodes(deep)).toEqual(['OPERATION_LIMIT']);
    expect(deep.errors[0]?.extensions).toMatchObject({ limit: 'maxDepth', max: 4 });
    expect(deep.events).toEqual([]);
  });
});

describe('metrics', () => {
  it('counts open connections and active subscriptions as they come and go', async () => {
    // Sockets of earlier tests are gone once their closes reached the gateway.
    await until(async () => (await metric('dpv_gateway_websocket_connections')) === 0);
    await until(async () => (await metric('dpv_gateway_subscriptions_active')) === 0);
    const before = 0;
    const socket = openSocket(
      graph.gateway.url,
      await graph.as({ org: ORG.regnskap, scope: 'dpv:read' }),
    );
    await connected(socket);
    await until(async () => (await metric('dpv_gateway_websocket_connections')) === before + 1);
    socket.subscribe(`subscription { clientMessagePublished { cursor } }`);
    await until(async () => (await metric('dpv_gateway_subscriptions_active')) === 1);
    await socket.dispose();
    await until(async () => (await metric('dpv_gateway_websocket_connections')) === before);
    await until(async () => (await metric('dpv_gateway_subscriptions_active')) === 0);
  });
});
