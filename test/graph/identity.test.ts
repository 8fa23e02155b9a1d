import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { bearer, codes, post } from '../harness/graphql.js';
import { startTestGraph, type TestGraph } from '../harness/graph.js';

let db: TestDatabase;
let graph: TestGraph;

beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url);
});
afterAll(async () => {
  await graph?.close();
  await db?.drop();
});

const PUBLIC = `{ enhet(organisasjonsnummer: "310012343") { navn } }`;
const PRIVATE = `{ enhet(organisasjonsnummer: "310012343") { navn inbox { nodes { title } } } }`;

describe('the token matrix at the gateway', () => {
  it('no token: anonymous, public Enhetsregisteret data only', async () => {
    const pub = await post(graph.gateway.url, PUBLIC);
    expect(pub.status).toBe(200);
    expect(pub.data).toEqual({ enhet: { navn: 'FJELLTOPP BAKERI AS' } });
    const priv = await post(graph.gateway.url, PRIVATE);
    expect(codes(priv)).toEqual(['FORBIDDEN']);
    expect(priv.errors?.[0]?.extensions?.serviceName).toBe('meldingsboks');
    // The subgraph saw nobody, not a caller without scopes.
    expect(priv.errors?.[0]?.message).toBe('This needs a token with scope dpv:read.');
  });

  it('valid token with the scope, acting for the enhet: the inbox', async () => {
    const r = await post(
      graph.gateway.url,
      PRIVATE,
      {},
      await graph.as({ org: '310012343', scope: 'dpv:read' }),
    );
    expect(r.errors).toBeUndefined();
    expect(r.data?.enhet.inbox.nodes).toHaveLength(2);
  });

  it('valid token missing the scope: FORBIDDEN for the private field, the rest resolves', async () => {
    const r = await post(
      graph.gateway.url,
      PRIVATE,
      {},
      await graph.as({ org: '310012343', scope: 'dpv:send' }),
    );
    expect(r.status).toBe(200);
    expect(codes(r)).toEqual(['FORBIDDEN']);
    expect(r.errors?.[0]?.message).toContain('dpv:read');
  });

  it('valid token acting for another organisation without a grant: FORBIDDEN', async () => {
    const r = await post(
      graph.gateway.url,
      PRIVATE,
      {},
      await graph.as({ org: '310049360', scope: 'dpv:read' }),
    );
    expect(codes(r)).toEqual(['FORBIDDEN']);
  });

  it("valid token acting for the enhet's accounting firm, which it granted access: the inbox", async () => {
    const r = await post(
      graph.gateway.url,
      PRIVATE,
      {},
      await graph.as({ org: '310024686', scope: 'dpv:read' }),
    );
    expect(r.errors).toBeUndefined();
    expect(r.data?.enhet.inbox.nodes).toHaveLength(2);
  });

  it.each([
    ['expired', { expiresIn: -60 }, 'expired'],
    ['wrongly signed', { foreignKey: true }, 'signature'],
    ['for another audience', { audience: 'someone-else' }, 'claim:aud'],
    ['from another issuer', { issuer: 'https://evil.test' }, 'claim:iss'],
  ] as const)(
    '%s token: HTTP 401 UNAUTHENTICATED, never anonymous',
    async (_name, options, reason) => {
      const token = await graph.issuer.token({ org: '310012343', scope: 'dpv:read', ...options });
      const r = await post(graph.gateway.url, PUBLIC, {}, bearer(token));
      expect(r.status).toBe(401);
      expect(codes(r)).toEqual(['UNAUTHENTICATED']);
      expect(r.errors?.[0]?.extensions?.reason).toBe(reason);
      expect(r.data).toBeUndefined();
      expect(r.headers.get('www-authenticate')).toContain('invalid_token');
    },
  );

  it('garbage and malformed headers: HTTP 401, counted as unauthenticated', async () => {
    for (const authorization of ['Bearer not-a-jwt', 'Basic dXNlcjpwYXNz', 'Bearer']) {
      const r = await post(graph.gateway.url, PUBLIC, {}, { authorization });
      expect(r.status, authorization).toBe(401);
      expect(codes(r)).toEqual(['UNAUTHENTICATED']);
    }
    const metrics = await (await fetch(new URL('/metrics', graph.gateway.url))).text();
    expect(metrics).toMatch(
      /dpv_gateway_requests_total\{operation="unknown",outcome="unauthenticated"\} ([3-9]|\d\d)/,
    );
  });

  it("strips internal scopes from callers' tokens: no outside token reads every varslingsadresse", async () => {
    const r = await post(
      graph.gateway.url,
      `{ enhet(organisasjonsnummer: "310024686") { navn varslingsadresser { adresse } } }`,
      {},
      await graph.as({ org: '310012343', scope: 'dpv:read internal:varslingsadresser:read' }),
    );
    expect(codes(r)).toEqual(['FORBIDDEN']);
  });
});
