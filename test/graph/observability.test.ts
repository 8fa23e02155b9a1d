import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { codes, post } from '../harness/graphql.js';
import { startTestGraph, type TestGraph } from '../harness/graph.js';
import { LogCapture } from '../harness/logCapture.js';

let db: TestDatabase;
let graph: TestGraph;
const logs = new LogCapture();
let bakeri: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url, {
    log: logs.log,
    timeouts: { enhetsregisteret: 400 },
    bodyLimit: '4kb',
  });
  bakeri = await graph.as({ org: '310012343', scope: 'dpv:read' });
});
afterAll(async () => {
  await graph?.close();
  await db?.drop();
});

const CROSSING = `query Crossing { enhet(organisasjonsnummer: "310012343") { navn inbox { nodes { title notificationPolicy { name } } } } }`;

describe('request ids and logs', () => {
  it("carries the gateway's request id into every subgraph's log line", async () => {
    const r = await post(graph.gateway.url, CROSSING, {}, bakeri);
    expect(r.errors).toBeUndefined();
    const requestId = r.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const lines = logs.find({ requestId, msg: 'operation' });
    const where = lines.map((l) => l.subgraph ?? l.component).sort();
    expect(where).toEqual(['enhetsregisteret', 'gateway', 'meldingsboks', 'varsling']);
    expect(logs.find({ requestId, component: 'gateway', msg: 'operation' })[0]).toMatchObject({
      operationName: 'Crossing',
      status: 200,
    });
  });

  it("keeps a caller's own request id", async () => {
    const r = await post(
      graph.gateway.url,
      CROSSING,
      {},
      { ...bakeri, 'x-request-id': 'client-abc.123' },
    );
    expect(r.headers.get('x-request-id')).toBe('client-abc.123');
    expect(logs.find({ requestId: 'client-abc.123', subgraph: 'meldingsboks' })).toHaveLength(1);
  });
});

describe('metrics', () => {
  it('exposes requests, latency, subgraph fetches and WebSocket connections in Prometheus format', async () => {
    await post(graph.gateway.url, CROSSING, {}, bakeri);
    const res = await fetch(new URL('/metrics', graph.gateway.url));
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(
      /dpv_gateway_requests_total\{operation="Crossing",outcome="success"\} [1-9]/,
    );
    expect(text).toMatch(
      /dpv_gateway_request_duration_seconds_count\{operation="Crossing"\} [1-9]/,
    );
    for (const subgraph of ['enhetsregisteret', 'meldingsboks', 'varsling']) {
      expect(text).toMatch(
        new RegExp(
          `dpv_gateway_subgraph_fetch_duration_seconds_count\\{subgraph="${subgraph}"\\} [1-9]`,
        ),
      );
    }
    expect(text).toContain('dpv_gateway_websocket_connections 0');
  });
});

describe('a slow subgraph', () => {
  it('times out per subgraph: partial data, an error naming it, counted', async () => {
    // Hold a lock that enhetsregisteret's read must wait for.
    const lock = await db.connect();
    await lock.query('begin; lock table enhetsregisteret.enhet in access exclusive mode');
    try {
      const r = await post(
        graph.gateway.url,
        `{ enhet(organisasjonsnummer: "310012343") { navn } message(id: "6f1c0a9e-1d2b-4c3d-8e4f-000000000001") { title } }`,
        {},
        bakeri,
      );
      expect(codes(r)).toEqual(['SUBGRAPH_TIMEOUT']);
      expect(r.errors?.[0]?.extensions?.serviceName).toBe('enhetsregisteret');
      expect(r.errors?.[0]?.message).toContain('400 ms');
      expect(r.data?.enhet).toBeNull();
      expect(r.data?.message.title).toContain('FJELLTOPP BAKERI AS');
    } finally {
      await lock.query('rollback');
      lock.release();
    }
    const text = await (await fetch(new URL('/metrics', graph.gateway.url))).text();
    expect(text).toMatch(
      /dpv_gateway_subgraph_errors_total\{subgraph="enhetsregisteret",code="SUBGRAPH_TIMEOUT"\} 1/,
    );
  });
});

describe('hardening', () => {
  it('refuses a body over the size limit with a GraphQL-shaped 413', async () => {
    const res = await fetch(graph.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(5000) } }),
    });
    expect(res.status).toBe(413);
    const body = (await res.json()) as { errors: Array<{ extensions: Record<string, unknown> }> };
    expect(body.errors[0]?.extensions).toMatchObject({
      code: 'OPERATION_LIMIT',
      limit: 'bodySize',
    });
  });

  it('blocks a cross-site simple GET (CSRF prevention)', async () => {
    // As a browser sends it for a page on a site CORS does not allow (gateway/edge/csrf.ts).
    const res = await fetch(`${graph.gateway.url}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { origin: 'https://evil.example.com', 'sec-fetch-site': 'cross-site' },
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/CSRF|preflight/i);
  });
});
