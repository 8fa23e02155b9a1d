import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'graphql-ws';
import { WebSocket } from 'ws';
import type { RunningGateway } from '../../gateway/server.js';
import { addressKey } from '../../gateway/edge/clientAddress.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { codes, post, type GraphQLResponse } from '../harness/graphql.js';
import { startAnotherGateway, startTestGraph, type TestGraph } from '../harness/graph.js';
import { toWs } from './subscriptionHelpers.js';

let db: TestDatabase;
let graph: TestGraph;
/** A second gateway instance on the same database and subgraphs. */
let second: RunningGateway;

const ENHET = 'enhet(organisasjonsnummer: "310012343")';
/** Costs 1 + 20 × 3 = 61 points: a page of 20 enheter (nodes, two fields each). */
const PAGE = '{ enheter(first: 20) { nodes { navn organisasjonsnummer } } }';
const PAGE_COST = 61;

/** Room for two pages anonymous, four with a token. */
const RATE_LIMITS = {
  windowSeconds: 60,
  caller: { points: 4 * PAGE_COST + 10, inFlight: 3 },
  anonymous: { points: 2 * PAGE_COST + 10, inFlight: 2 },
};

beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url, {
    edge: { rateLimits: RATE_LIMITS, trustedProxies: ['loopback'] },
  });
  second = await anotherGateway(['loopback'], db.url);
});
afterAll(async () => {
  await second?.close();
  await graph?.close();
  await db?.drop();
});

/** An anonymous client at this address, as a trusted proxy on loopback reports it. */
const from = (address: string) => ({ 'x-forwarded-for': address });

function expectRateLimited(r: GraphQLResponse<any>, limit: 'budget' | 'inFlight') {
  expect(r.status).toBe(429);
  expect(codes(r)).toEqual(['RATE_LIMITED']);
  expect(r.errors?.[0]?.extensions?.limit).toBe(limit);
  expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(r.headers.get('ratelimit-policy')).toMatch(/;q=\d+;w=60$/);
  expect(r.headers.get('ratelimit')).toMatch(/;r=0;t=\d+$|;r=\d+;t=\d+$/);
}

describe('rate limits', () => {
  it('spends an address its points by the measured cost, then 429 with headers; another address is unaffected', async () => {
    const a = from('198.51.100.7');
    const first = await post(graph.gateway.url, PAGE, {}, a);
    expect(first.errors).toBeUndefined();
    const q = RATE_LIMITS.anonymous.points;
    expect(first.headers.get('ratelimit-policy')).toBe(`"anonymous";q=${q};w=60`);
    expect(first.headers.get('ratelimit')).toMatch(
      new RegExp(`^"anonymous";r=${q - PAGE_COST};t=\\d+$`),
    );
    const secondPage = await post(graph.gateway.url, PAGE, {}, a);
    expect(secondPage.errors).toBeUndefined();
    expectRateLimited(await post(graph.gateway.url, PAGE, {}, a), 'budget');
    // Refused before parsing from then on, even a cheap one.
    expectRateLimited(await post(graph.gateway.url, `{ ${ENHET} { navn } }`, {}, a), 'budget');
    const other = await post(graph.gateway.url, PAGE, {}, from('198.51.100.8'));
    expect(other.errors).toBeUndefined();
  });

  it('shares one budget between gateway instances on the same database', async () => {
    const a = from('198.51.100.20');
    expect((await post(graph.gateway.url, PAGE, {}, a)).errors).toBeUndefined();
    expect((await post(second.url, PAGE, {}, a)).errors).toBeUndefined();
    // Two pages spent across the two instances: the next is over on either.
    expectRateLimited(await post(second.url, PAGE, {}, a), 'budget');
  });

  it('keys a token by org and sub, apart from its address; another caller is unaffected', async () => {
    const firm = await graph.as({ sub: 'firm-system', org: '310012343', scope: 'dpv:read' });
    const sameAddress = from('198.51.100.30');
    for (let i = 0; i < 4; i++) {
      expect(
        (await post(graph.gateway.url, PAGE, {}, { ...firm, ...sameAddress })).errors,
      ).toBeUndefined();
    }
    const over = await post(graph.gateway.url, PAGE, {}, { ...firm, ...sameAddress });
    expectRateLimited(over, 'budget');
    expect(over.headers.get('ratelimit-policy')).toBe(
      `"caller";q=${RATE_LIMITS.caller.points};w=60`,
    );
    // The same address, anonymous, still has its own budget; so has another subject of the org.
    expect((await post(graph.gateway.url, PAGE, {}, sameAddress)).errors).toBeUndefined();
    const colleague = await graph.as({ sub: 'someone-else', org: '310012343', scope: 'dpv:read' });
    expect((await post(graph.gateway.url, PAGE, {}, colleague)).errors).toBeUndefined();
  });

  it('caps requests in flight per caller: the one over gets 429 inFlight at once', async () => {
    const slow = await graph.as({ sub: 'busy', org: '310012343', scope: 'dpv:read' });
    const query = `{ ${ENHET} { navn } }`;
    // Hold three requests open by sending their bodies slowly.
    const held = await Promise.all([0, 1, 2].map(() => holdOpen(graph.gateway.url, slow)));
    const r = await post(graph.gateway.url, query, {}, slow);
    expectRateLimited(r, 'inFlight');
    for (const h of held) h.finish(query);
    for (const h of held) expect((await h.done).status).toBe(200);
    expect((await post(graph.gateway.url, query, {}, slow)).errors).toBeUndefined();
  });

  it('believes X-Forwarded-For only from a trusted proxy', async () => {
    // This gateway trusts no proxy: the forwarded address is ignored, the peer (127.0.0.1) counts.
    const untrusting = await anotherGateway([]);
    try {
      for (const address of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
        await post(untrusting.url, PAGE, {}, from(address));
      }
      expectRateLimited(await post(untrusting.url, PAGE, {}, from('203.0.113.4')), 'budget');
    } finally {
      await untrusting.close();
    }
  });

  it('spends the same budget on the socket', async () => {
    const address = '198.51.100.40';
    const client = createClient({
      url: toWs(graph.gateway.url),
      webSocketImpl: class extends WebSocket {
        constructor(url: string, protocols?: string | string[]) {
          super(url, protocols, { headers: from(address) });
        }
      },
      retryAttempts: 0,
    });
    try {
      const run = async () => {
        try {
          const r = await client.iterate({ query: PAGE }).next();
          return (r.value as { errors?: unknown[] }).errors ?? [];
        } catch (errors) {
          return errors as Array<{ extensions?: { code?: string } }>;
        }
      };
      expect(await run()).toEqual([]);
      expect(await run()).toEqual([]);
      const third = (await run()) as Array<{ extensions?: { code?: string } }>;
      expect(third[0]?.extensions?.code).toBe('RATE_LIMITED');
      // And HTTP from the same address sees the same spent budget.
      expectRateLimited(await post(graph.gateway.url, PAGE, {}, from(address)), 'budget');
    } finally {
      await client.dispose();
    }
  });
});

describe('client addresses', () => {
  it('keys IPv4 whole, IPv4-mapped IPv6 as IPv4, and IPv6 by its /64', () => {
    expect(addressKey('203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
    expect(addressKey('not an address')).toBe('unknown');
  });
});

/** Another gateway instance with these budgets, in `databaseUrl` or in memory. */
function anotherGateway(trustedProxies: string[], databaseUrl?: string): Promise<RunningGateway> {
  return startAnotherGateway(graph, {
    edge: { rateLimits: RATE_LIMITS, trustedProxies },
    ...(databaseUrl ? { databaseUrl } : {}),
  });
}

/** A POST whose body is not sent until `finish`: the request is in flight meanwhile. */
async function holdOpen(url: string, headers: Record<string, string>) {
  const { request } = await import('node:http');
  let finish!: (query: string) => void;
  const done = new Promise<{ status: number }>((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', ...headers },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.flushHeaders();
    finish = (query) => req.end(JSON.stringify({ query }));
  });
  // Let the gateway see the request's headers (the in-flight place is taken in the context,
  // which runs once the body is read, so send part of it).
  await new Promise((r) => setTimeout(r, 50));
  return { finish, done };
}
