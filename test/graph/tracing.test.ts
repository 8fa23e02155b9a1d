import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing, type Tracing } from '../../platform/runtime/tracing.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { post } from '../harness/graphql.js';
import { startTestGraph, type TestGraph } from '../harness/graph.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Array<{ key: string; value: { stringValue?: string } }>;
}

/** An OTLP/HTTP (JSON) collector on loopback that keeps every span it is sent. */
const spans: OtlpSpan[] = [];
const collector = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString('utf8')));
  req.on('end', () => {
    const payload = JSON.parse(body) as {
      resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
    };
    for (const rs of payload.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
    res.setHeader('content-type', 'application/json');
    res.end('{}');
  });
});

let db: TestDatabase;
let graph: TestGraph;
let tracing: Tracing | null;

beforeAll(async () => {
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  const { port } = collector.address() as AddressInfo;
  tracing = startTracing('dpv-graph-test', `http://127.0.0.1:${port}`);
  db = await createTestDatabase();
  graph = await startTestGraph(db.url);
});
afterAll(async () => {
  await graph?.close();
  await tracing?.shutdown();
  await db?.drop();
  await new Promise((r) => collector.close(r));
});

const attr = (s: OtlpSpan, key: string) =>
  s.attributes.find((a) => a.key === key)?.value.stringValue;

describe('OpenTelemetry, when OTEL_EXPORTER_OTLP_ENDPOINT is set', () => {
  it('is off without an endpoint', () => {
    expect(startTracing('x', undefined)).toBeNull();
  });

  it('traces one request across the gateway and every subgraph it calls, in one trace', async () => {
    const r = await post(
      graph.gateway.url,
      `query Traced { enhet(organisasjonsnummer: "310012343") { navn inbox { nodes { title notificationPolicy { name } } } } }`,
      {},
      await graph.as({ org: '310012343', scope: 'dpv:read' }),
    );
    expect(r.errors).toBeUndefined();
    await tracing!.forceFlush();

    const gatewaySpan = spans.find(
      (s) =>
        attr(s, 'dpv.component') === 'gateway' && attr(s, 'graphql.operation.name') === 'Traced',
    );
    expect(gatewaySpan).toBeDefined();
    const inTrace = spans.filter((s) => s.traceId === gatewaySpan!.traceId);
    const components = new Set(inTrace.map((s) => attr(s, 'dpv.component')).filter(Boolean));
    expect([...components].sort()).toEqual([
      'enhetsregisteret',
      'gateway',
      'meldingsboks',
      'varsling',
    ]);
    // Every subgraph span descends from a span of this trace, none is a root of its own.
    const ids = new Set(inTrace.map((s) => s.spanId));
    for (const s of inTrace.filter(
      (x) => attr(x, 'dpv.component') !== 'gateway' && attr(x, 'dpv.component'),
    )) {
      expect(s.parentSpanId && ids.has(s.parentSpanId)).toBe(true);
    }
    expect(attr(gatewaySpan!, 'dpv.request_id')).toBe(r.headers.get('x-request-id'));
  });
});
