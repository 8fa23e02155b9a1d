import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayOptionsFrom } from '../../gateway/config.js';
import { gatewayEnv } from '../../gateway/env.js';
import { internalIdentityFrom } from '../../platform/auth/internalIdentity.js';
import { loadEnv } from '../../platform/runtime/env.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { codes, post } from '../harness/graphql.js';
import { silent, startTestGraph, type TestGraph } from '../harness/graph.js';
import { LogCapture } from '../harness/logCapture.js';
import { createClient } from 'graphql-ws';
import { WebSocket } from 'ws';
import { toWs } from './subscriptionHelpers.js';

let db: TestDatabase;
let graph: TestGraph;
const logs = new LogCapture();

beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url, { production: true, log: logs.log, metricsPort: 0 });
});
afterAll(async () => {
  await graph?.close();
  await db?.drop();
});

describe('NODE_ENV=production', () => {
  it('turns introspection off', async () => {
    const r = await post(graph.gateway.url, '{ __schema { types { name } } }');
    expect(codes(r)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('masks internal errors (no SQL reaches the client), logs them, keeps public codes', async () => {
    await db.query('alter table meldingsboks.message rename to message_moved');
    try {
      const r = await post(
        graph.gateway.url,
        `{ enhet(organisasjonsnummer: "310012343") { navn } message(id: "6f1c0a9e-1d2b-4c3d-8e4f-000000000001") { title } }`,
        {},
        await graph.as({ org: '310012343', scope: 'dpv:read' }),
      );
      expect(r.errors).toHaveLength(1);
      expect(r.errors?.[0]).toMatchObject({
        message: 'Internal server error',
        extensions: { code: 'INTERNAL_SERVER_ERROR', serviceName: 'meldingsboks' },
      });
      expect(JSON.stringify(r)).not.toMatch(/select|message_moved|relation/i);
      expect(r.data?.enhet).toEqual({ navn: 'FJELLTOPP BAKERI AS' });
      expect(
        logs.lines.some((l) => l.msg === 'internal error' && l.subgraph === 'meldingsboks'),
      ).toBe(true);
    } finally {
      await db.query('alter table meldingsboks.message_moved rename to message');
    }
    const invalid = await post(graph.gateway.url, '{ enhet(organisasjonsnummer: "1") { navn } }');
    expect(codes(invalid)).toEqual(['INVALID_ORGNR']);
    expect(invalid.errors?.[0]?.message).toContain('9 digits');
  });

  it('refuses to start without a JWKS or without its own internal secret', async () => {
    const env = loadEnv(gatewayEnv, {
      NODE_ENV: 'production',
      INTERNAL_AUTH_SECRET: 'x'.repeat(32),
    });
    await expect(gatewayOptionsFrom(env, silent)).rejects.toThrow(/AUTH_JWKS_URL/);
    expect(() => internalIdentityFrom({ NODE_ENV: 'production' })).toThrow(/INTERNAL_AUTH_SECRET/);
    expect(() => loadEnv(gatewayEnv, { INTERNAL_AUTH_SECRET: 'short' })).toThrow(/32 characters/);
  });

  it('names no field the caller did not ask for: no "Did you mean" over HTTP or the socket', async () => {
    const q = '{ enhet(organisasjonsnummer: "310012343") { nav } }';
    const r = await post(graph.gateway.url, q);
    expect(codes(r)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(r.errors?.[0]?.message).toContain('Cannot query field "nav"');
    expect(r.errors?.[0]?.message).not.toMatch(/Did you mean|navn/);
    const client = createClient({
      url: toWs(graph.gateway.url),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    try {
      const errors = await client
        .iterate({ query: q })
        .next()
        .then(
          (res) => (res.value as { errors?: Array<{ message: string }> }).errors,
          (err: Array<{ message: string }>) => err,
        );
      expect(errors?.[0]?.message).toContain('Cannot query field "nav"');
      expect(errors?.[0]?.message).not.toMatch(/Did you mean|navn/);
    } finally {
      await client.dispose();
    }
  });

  it('serves /metrics on its own port, not on the public one', async () => {
    const onPublic = await fetch(new URL('/metrics', graph.gateway.url));
    expect(onPublic.status).toBe(404);
    await onPublic.arrayBuffer();
    expect(graph.gateway.metricsUrl).toBeDefined();
    const own = await fetch(graph.gateway.metricsUrl!);
    expect(own.status).toBe(200);
    expect(await own.text()).toContain('dpv_gateway_requests_total');
  });
});
