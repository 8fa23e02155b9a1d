import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { LoggingContext } from '../../platform/http/requestLog.js';
import {
  startHttpService,
  type DrainOptions,
  type HttpService,
} from '../../platform/http/server.js';
import { LogCapture } from '../harness/logCapture.js';

/**
 * The drain every service runs on SIGTERM (platform/http/server.ts), step by step, on a service
 * whose resolver takes as long as it is told: readiness off first, requests in flight finished,
 * keep-alive connections closed, WebSockets closed with 1012 last.
 */

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      hello: { type: GraphQLString, resolve: () => 'hello' },
      slow: {
        type: GraphQLString,
        args: { ms: { type: new GraphQLNonNull(GraphQLInt) } },
        resolve: async (_root, { ms }: { ms: number }) => {
          await sleep(ms);
          return `slept ${ms}`;
        },
      },
    },
  }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      ticks: {
        type: GraphQLInt,
        subscribe: async function* () {
          for (let i = 1; ; i++) {
            yield { ticks: i };
            await sleep(20);
          }
        },
      },
    },
  }),
});

let logs: LogCapture;
const services: HttpService[] = [];
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.dispose();
  for (const s of services.splice(0)) await s.close();
});

async function startService(drain: DrainOptions): Promise<HttpService> {
  logs = new LogCapture();
  const service = await startHttpService<LoggingContext>({
    component: 'drain-test',
    apollo: { schema },
    context: async ({ requestId, log }) => ({ requestId, log }),
    subscriptions: { context: async (_params, log) => ({ requestId: 'ws', log }) },
    host: '127.0.0.1',
    port: 0,
    production: false,
    drain,
    log: logs.log,
  });
  services.push(service);
  return service;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A POST with node's own client; `agent` false: a connection of its own. */
function post(url: string, query: string, agent: http.Agent | false = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body, at: performance.now() }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ query }));
  });
}

function get(url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body, at: performance.now() }),
        );
      })
      .on('error', reject);
  });
}

function subscribeTicks(url: string) {
  const feed = { ticks: 0, closed: undefined as { code: number; at: number } | undefined };
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => {},
    on: {
      closed: (event) => {
        feed.closed ??= { code: (event as { code: number }).code, at: performance.now() };
      },
    },
  });
  clients.push(client);
  client.subscribe(
    { query: 'subscription { ticks }' },
    { next: () => void feed.ticks++, error: () => {}, complete: () => {} },
  );
  return feed;
}

describe('drain on close', () => {
  it('turns unready at once, serves on through the delay, finishes requests in flight, closes sockets last', async () => {
    const delayMs = 600;
    const service = await startService({ delayMs, graceMs: 5_000 });
    const ready = service.url.replace('/graphql', '/ready');
    expect((await get(ready)).status).toBe(200);

    // An idle keep-alive connection, and one busy with a request that outlasts the delay.
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect((await post(service.url, '{ hello }', keepAlive)).headers.connection).toBe('keep-alive');
    const idleSocket = Object.values(keepAlive.freeSockets).flat()[0]!;
    let idleClosedAt: number | undefined;
    idleSocket.once('close', () => (idleClosedAt = performance.now()));
    const feed = subscribeTicks(service.url);
    await expect.poll(() => feed.ticks).toBeGreaterThan(0);
    const slow = post(service.url, '{ slow(ms: 1500) }');
    await sleep(100);

    const began = performance.now();
    let closedAt: number | undefined;
    const closing = service.close().then(() => (closedAt = performance.now()));

    // 1. Not ready at once, while everything else still serves.
    const unready = await get(ready);
    expect(unready.status).toBe(503);
    expect(JSON.parse(unready.body)).toEqual({ status: 'draining' });
    expect(unready.at - began).toBeLessThan(delayMs);
    // 2. Through the delay, new requests are answered, each closing its connection.
    const during = await post(service.url, '{ hello }');
    expect(during.at - began).toBeLessThan(delayMs);
    expect(JSON.parse(during.body)).toEqual({ data: { hello: 'hello' } });
    expect(during.headers.connection).toBe('close');
    // 3. After the delay: no new connections; the idle keep-alive one is closed.
    await sleep(delayMs + 100 - (performance.now() - began));
    await expect(get(ready)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(idleClosedAt).toBeDefined();
    expect(idleClosedAt! - began).toBeGreaterThanOrEqual(delayMs - 5);
    // The subscription still runs.
    expect(feed.closed).toBeUndefined();
    const ticks = feed.ticks;
    await sleep(100);
    expect(feed.ticks).toBeGreaterThan(ticks);
    // 4. The request in flight finishes, its answer closing its connection.
    const answer = await slow;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ data: { slow: 'slept 1500' } });
    expect(answer.headers.connection).toBe('close');
    // 5. Then the sockets close with 1012, and the service has stopped.
    await closing;
    expect(feed.closed?.code).toBe(1012);
    expect(feed.closed!.at).toBeGreaterThanOrEqual(answer.at);
    expect(closedAt! - began).toBeLessThan(1500 + 1000);
    expect(logs.find({ msg: 'draining' })).toHaveLength(1);
    expect(logs.lines.filter((l) => (l.level as number) >= 40)).toEqual([]);
    keepAlive.destroy();
  });

  it('cuts off a request that outlasts the grace period, and says so', async () => {
    const service = await startService({ delayMs: 0, graceMs: 300 });
    const slow = post(service.url, '{ slow(ms: 5000) }');
    await sleep(100);
    const began = performance.now();
    await service.close();
    expect(performance.now() - began).toBeLessThan(1_000);
    await expect(slow).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(logs.find({ msg: 'requests cut off at the end of the drain' })).toMatchObject([
      { inFlight: 1, graceMs: 300 },
    ]);
  });
});
