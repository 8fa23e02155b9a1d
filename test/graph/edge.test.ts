import http from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'graphql-ws';
import { WebSocket } from 'ws';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { codes, post, type GraphQLResponse } from '../harness/graphql.js';
import { startTestGraph, type TestGraph } from '../harness/graph.js';
import { toWs } from './subscriptionHelpers.js';

let db: TestDatabase;
let graph: TestGraph;

const ENHET = 'enhet(organisasjonsnummer: "310012343")';

/** 2^n copies of `navn` behind n fragments that each spread the one before twice (~40 B each). */
function fanOut(n: number): string {
  let fragments = 'fragment F0 on Enhet { navn }';
  for (let i = 1; i <= n; i++)
    fragments += ` fragment F${i} on Enhet { ...F${i - 1} ...F${i - 1} }`;
  return `{ ${ENHET} { ...F${n} } } ${fragments}`;
}

beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url, {
    // The production defaults for cost and depth, so that the figures are the real ones.
    limits: { maxCost: 25_000, maxDepth: 12 },
    edge: {
      cors: { origins: ['https://innboks.example.no'], allowLocal: true },
      compressionThreshold: 1024,
    },
  });
});
afterAll(async () => {
  await graph?.close();
  await db?.drop();
});

async function health(): Promise<number> {
  return (await fetch(new URL('/health', graph.gateway.url))).status;
}

describe('operation limits cost O(document)', () => {
  it('refuses 2^30 expansions behind 30 fragments with OPERATION_LIMIT, while /health answers', async () => {
    const [r, status] = await Promise.all([post(graph.gateway.url, fanOut(30)), health()]);
    expect(status).toBe(200);
    expect(r.status).toBe(400);
    expect(codes(r)).toEqual(['OPERATION_LIMIT']);
    expect(r.errors?.[0]?.extensions?.limit).toBe('maxCost');
    // Every expansion counted: 1 (enhet) + 2^30 (navn).
    expect(r.errors?.[0]?.extensions?.actual).toBe(1 + 2 ** 30);
  });

  it('costs a page by a variable default as by the same literal', async () => {
    const selection = (n: string, m: string) =>
      `enheter(first: ${n}) { nodes { navn underenheter(first: ${m}) { nodes { navn organisasjonsnummer } } } }`;
    const byDefault = await post(
      graph.gateway.url,
      `query ($n: Int = 100, $m: Int = 100) { ${selection('$n', '$m')} }`,
    );
    const byLiteral = await post(graph.gateway.url, `{ ${selection('100', '100')} }`);
    expect(codes(byDefault)).toEqual(['OPERATION_LIMIT']);
    expect(codes(byLiteral)).toEqual(['OPERATION_LIMIT']);
    const actual = byLiteral.errors?.[0]?.extensions?.actual;
    // 1 + 100 × (nodes + navn + underenheter + 100 × (nodes + navn + organisasjonsnummer))
    expect(actual).toBe(1 + 100 * (3 + 100 * 3));
    expect(byDefault.errors?.[0]?.extensions?.actual).toBe(actual);
  });

  it("costs a missing page argument as the schema's default (20), not 10", async () => {
    // enheter's first defaults to 20: 1 + 20 × (2 + 100 × 16) = 32 041 is over 25 000; 10 is not.
    const fields = Array.from({ length: 15 }, () => 'navn').join(' ');
    const q = (first: string) =>
      `{ enheter${first} { nodes { underenheter(first: 100) { nodes { ${fields} } } } } }`;
    const missing = await post(graph.gateway.url, q(''));
    const explicit = await post(graph.gateway.url, q('(first: 20)'));
    expect(codes(missing)).toEqual(['OPERATION_LIMIT']);
    expect(missing.errors?.[0]?.extensions?.actual).toBe(1 + 20 * (2 + 100 * 16));
    expect(missing.errors?.[0]?.extensions?.actual).toBe(explicit.errors?.[0]?.extensions?.actual);
    const ten = await post(graph.gateway.url, q('(first: 10)'));
    expect(ten.errors).toBeUndefined();
  });

  it('counts introspection fields like any other: a wide __type beside a field is refused', async () => {
    // Two levels of `fields` (graphql-js's introspection depth rule allows no more), with args.
    const inner = 'args { name description defaultValue }';
    const q = `{ ${ENHET} { navn } __type(name: "Enhet") { fields { args { type { fields { ${inner} } } } } } }`;
    const r = await post(graph.gateway.url, q);
    expect(codes(r)).toEqual(['OPERATION_LIMIT']);
    // enhet navn (2), __type and fields (2), then 10 fields × (args + 10 × (type, fields + 10 × …))
    expect(r.errors?.[0]?.extensions?.actual).toBe(2 + 2 + 10 * (1 + 10 * (2 + 10 * 31)));
  });

  it('still answers the standard introspection query (what explorers send) in development', async () => {
    const { getIntrospectionQuery } = await import('graphql');
    const r = await post(graph.gateway.url, getIntrospectionQuery());
    expect(r.errors).toBeUndefined();
    expect(r.data?.__schema).toBeDefined();
  });

  it('holds the document size limit on the socket too, before parsing', async () => {
    const client = createClient({
      url: toWs(graph.gateway.url),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    try {
      const big = `{ ${ENHET} { navn } }` + ' '.repeat(100_000);
      const result = await client.iterate({ query: big }).next();
      expect(result.done).toBe(false);
      const r = result.value as GraphQLResponse;
      expect(codes(r)).toEqual(['OPERATION_LIMIT']);
      expect(r.errors?.[0]?.extensions?.limit).toBe('maxDocumentBytes');
    } catch (errors) {
      // graphql-ws delivers onSubscribe's refusals as an `error` message: an array of errors.
      expect((errors as GraphQLResponse['errors'])?.[0]?.extensions?.code).toBe('OPERATION_LIMIT');
    } finally {
      await client.dispose();
    }
  });
});

describe('CORS', () => {
  const preflight = (
    origin: string,
    headers = 'content-type, authorization, apollo-require-preflight',
  ) =>
    fetch(graph.gateway.url, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': headers,
      },
    });

  it('allows a listed origin and any localhost port in development, with the headers clients send', async () => {
    for (const origin of [
      'https://innboks.example.no',
      'http://localhost:5173',
      'http://127.0.0.1:3000',
    ]) {
      const res = await preflight(
        origin,
        'content-type, authorization, accept, x-apollo-operation-name',
      );
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      const allowed = res.headers.get('access-control-allow-headers')!.split(',');
      for (const h of [
        'content-type',
        'authorization',
        'accept',
        'x-apollo-operation-name',
        'apollo-require-preflight',
      ])
        expect(allowed).toContain(h);
    }
  });

  it('refuses a preflight from any other origin, and CSRF prevention still holds', async () => {
    const res = await preflight('https://evil.example.com');
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    // A "simple" cross-site request (no preflight) is still refused by Apollo's CSRF check.
    const simple = await fetch(graph.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: 'https://evil.example.com' },
      body: JSON.stringify({ query: `{ ${ENHET} { navn } }` }),
    });
    expect(simple.status).toBe(400);
  });

  it('lets browser code read Retry-After and the RateLimit headers', async () => {
    const res = await fetch(graph.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:5173' },
      body: JSON.stringify({ query: `{ ${ENHET} { navn } }` }),
    });
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const exposed = res.headers.get('access-control-expose-headers')!.toLowerCase();
    for (const h of ['retry-after', 'ratelimit', 'ratelimit-policy']) expect(exposed).toContain(h);
    expect(res.headers.get('ratelimit-policy')).toMatch(/^"anonymous";q=\d+;w=60$/);
    expect(res.headers.get('ratelimit')).toMatch(/^"anonymous";r=\d+;t=\d+$/);
  });
});

/** POSTs with node:http, so that the body arrives as sent (fetch would decompress it). */
function rawPost(url: string, body: string, acceptEncoding?: string) {
  return new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}),
      },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('compression', () => {
  const page = JSON.stringify({
    query:
      '{ enheter(first: 100) { nodes { organisasjonsnummer navn organisasjonsform { kode beskrivelse } } } }',
  });

  it('compresses a large answer with br or gzip, each decoding to the same JSON as the plain one', async () => {
    const plain = await rawPost(graph.gateway.url, page);
    const br = await rawPost(graph.gateway.url, page, 'br');
    const gzip = await rawPost(graph.gateway.url, page, 'gzip');
    expect(plain.encoding).toBeUndefined();
    expect(br.encoding).toBe('br');
    expect(gzip.encoding).toBe('gzip');
    const json = JSON.parse(plain.body.toString());
    expect(json.data.enheter.nodes.length).toBeGreaterThan(10);
    expect(JSON.parse(brotliDecompressSync(br.body).toString())).toEqual(json);
    expect(JSON.parse(gunzipSync(gzip.body).toString())).toEqual(json);
    expect(br.body.length).toBeLessThan(plain.body.length / 2);
  });

  it('leaves a small answer as it is', async () => {
    const small = await rawPost(
      graph.gateway.url,
      JSON.stringify({ query: '{ __typename }' }),
      'br, gzip',
    );
    expect(small.encoding).toBeUndefined();
  });
});

describe('values PostgreSQL cannot store', () => {
  it('refuses a NUL byte in a variable or a literal with BAD_USER_INPUT, before any SQL', async () => {
    const q = 'query ($f: String!) { enheter(filter: { navn: $f }) { totalCount } }';
    const byVariable = await post(graph.gateway.url, q, { f: 'Bakeri\u0000' });
    expect(codes(byVariable)).toEqual(['BAD_USER_INPUT']);
    expect(byVariable.errors?.[0]?.message).not.toMatch(/select|insert|where/i);
    const byLiteral = await post(
      graph.gateway.url,
      '{ enheter(filter: { navn: "a\\u0000b" }) { totalCount } }',
    );
    expect(codes(byLiteral)).toEqual(['BAD_USER_INPUT']);
    const surrogate = await post(graph.gateway.url, q, { f: 'x\ud800y' });
    expect(codes(surrogate)).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses it at a subgraph called directly, too', async () => {
    const subgraph = graph.subgraphs.get('enhetsregisteret')!;
    const r = await post(
      subgraph.url,
      '{ enhet(organisasjonsnummer: "31001\\u00002343") { navn } }',
    );
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('tokens', () => {
  it('refuses a token that lives longer than 24 hours, by exp − now and by exp − iat', async () => {
    const q = `{ ${ENHET} { navn } }`;
    for (const claims of [{ expiresIn: 25 * 3600 }, { expiresIn: 60, issuedAgo: 25 * 3600 }]) {
      const headers = await graph.as({ org: '310012343', scope: 'dpv:read', ...claims });
      const r = await post(graph.gateway.url, q, {}, headers);
      expect(r.status).toBe(401);
      expect(codes(r)).toEqual(['UNAUTHENTICATED']);
      expect(r.errors?.[0]?.extensions?.reason).toBe('lifetime');
    }
    const fine = await graph.as({ org: '310012343', scope: 'dpv:read', expiresIn: 23 * 3600 });
    expect((await post(graph.gateway.url, q, {}, fine)).errors).toBeUndefined();
  });
});

describe('load shedding', () => {
  it('answers 503 with Retry-After before parsing while the event loop is late, /health still 200', async () => {
    const shedding = await startTestGraphWithShedding();
    try {
      const query = `{ ${ENHET} { navn } }`;
      expect((await post(shedding.gateway.url, query)).errors).toBeUndefined();
      // Stall the loop for 300 ms, as a long synchronous task would; then a request arrives.
      const end = Date.now() + 300;
      while (Date.now() < end);
      await new Promise((resolve) => setTimeout(resolve, 60));
      const healthy = fetch(new URL('/health', shedding.gateway.url));
      const r = await post(shedding.gateway.url, query);
      expect(r.status).toBe(503);
      expect(codes(r)).toEqual(['OVERLOADED']);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await healthy).status).toBe(200);
      // Once the loop has been on time for a second, requests are served.
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      expect((await post(shedding.gateway.url, query)).errors).toBeUndefined();
      expect(shedding.gateway.shedder.shed).toBeGreaterThanOrEqual(1);
    } finally {
      await shedding.close();
    }
  });
});

function startTestGraphWithShedding() {
  return startTestGraph(db.url, { edge: { loadShedLagMs: 100 } });
}
