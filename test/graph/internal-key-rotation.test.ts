import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../gateway/auth.js';
import { startGateway, UNLIMITED_EDGE, type RunningGateway } from '../../gateway/server.js';
import { InternalScope } from '../../platform/auth/caller.js';
import { CALLER_HEADER, InternalIdentity } from '../../platform/auth/internalIdentity.js';
import { PeerClient } from '../../platform/http/peer.js';
import { startSubgraph, type RunningSubgraph } from '../../platform/subgraph.js';
import { subgraphs as allSubgraphs } from '../../subgraphs/registry.js';
import { TestIssuer } from '../harness/auth.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { codes, post } from '../harness/graphql.js';
import { silent, TEST_LIMITS, TEST_SETTINGS } from '../harness/graph.js';

/**
 * INTERNAL_AUTH_SECRET rotated as docs/operations.md describes it, one process restarted at a time
 * (as a rolling restart does), with every in-between state checked as clients and the subgraphs'
 * own calls to each other see it.
 */

const OLD = 'rotation test: the old internal secret (32+ chars)';
const NEW = 'rotation test: the new internal secret (32+ chars)';

let db: TestDatabase;
let issuer: TestIssuer;
let gateway: RunningGateway | undefined;
const running = new Map<string, RunningSubgraph>();
/** What each subgraph process is configured with now. */
const identities = new Map<string, InternalIdentity>();

/** (Re)starts subgraph `name` on its port with INTERNAL_AUTH_SECRET=`secret` (and `previous`). */
async function restartSubgraph(name: string, secret: string, previous?: string) {
  const def = allSubgraphs.find((s) => s.name === name)!;
  const before = running.get(name);
  await before?.close();
  const identity = new InternalIdentity(secret, 60, previous);
  const subgraph = await startSubgraph(def, {
    databaseUrl: db.url,
    host: '127.0.0.1',
    port: before ? Number(new URL(before.url).port) : 0,
    log: silent,
    seedWhenEmpty: true,
    identity,
    peers: Object.fromEntries([...running].map(([n, s]) => [n, s.url])),
    settings: TEST_SETTINGS[name],
  });
  running.set(name, subgraph);
  identities.set(name, identity);
}

async function restartGateway(secret: string) {
  const port = gateway ? Number(new URL(gateway.url).port) : 0;
  await gateway?.close();
  gateway = await startGateway({
    supergraphPath: 'schema/supergraph.graphql',
    subgraphUrls: Object.fromEntries([...running].map(([n, s]) => [n, s.url])),
    host: '127.0.0.1',
    port,
    timeoutMs: 5_000,
    auth: await createAuthenticator({
      jwksUrl: issuer.jwksUrl,
      issuer: TestIssuer.ISSUER,
      audience: TestIssuer.AUDIENCE,
      devKeyPath: '/nonexistent',
    }),
    identity: new InternalIdentity(secret),
    limits: TEST_LIMITS,
    edge: UNLIMITED_EDGE,
    production: false,
    log: silent,
  });
}

/** The accounting firm reads the bakery's inbox; the bakery its own varslingsadresser. */
const FIRM_READS = `{ enhet(organisasjonsnummer: "310012343") {
  navn inbox(first: 10) { totalCount nodes { title sender { navn } notificationPolicy { name } } } } }`;
const OWN_ADDRESSES = `{ enhet(organisasjonsnummer: "310012343") { varslingsadresser { adresse } } }`;

/** What clients and the subgraphs' calls to Enhetsregisteret see now. */
async function observe() {
  const asFirm = {
    authorization: `Bearer ${await issuer.token({ org: '310024686', scope: 'dpv:read' })}`,
  };
  const asBakery = {
    authorization: `Bearer ${await issuer.token({ org: '310012343', scope: 'dpv:read' })}`,
  };
  const firm = await post(gateway!.url, FIRM_READS, {}, asFirm);
  const own = await post(gateway!.url, OWN_ADDRESSES, {}, asBakery);
  // Varsling's (and meldingsboks') own calls to Enhetsregisteret, signed with their configuration.
  const peers: Record<string, number | string> = {};
  for (const from of ['meldingsboks', 'varsling']) {
    const client = new PeerClient(
      'enhetsregisteret',
      running.get('enhetsregisteret')!.url,
      identities.get(from)!,
      from,
      [InternalScope.READ_VARSLINGSADRESSER],
    );
    // A refusal (the caller anonymous at Enhetsregisteret) throws; recorded by its code.
    peers[from] = await client
      .request<{ enhet: { varslingsadresser: unknown[] | null } }>(
        `{ enhet(organisasjonsnummer: "310024686") { varslingsadresser { adresse } } }`,
        {},
      )
      .then(
        (data) => data.enhet.varslingsadresser?.length ?? 'null',
        (err: { extensions?: { code?: string } }) => err.extensions?.code ?? 'error',
      );
  }
  return {
    status: [firm.status, own.status],
    codes: [...codes(firm), ...codes(own)],
    inbox: (firm.data?.enhet as { inbox?: { totalCount: number } } | undefined)?.inbox?.totalCount,
    addresses: (own.data?.enhet as { varslingsadresser?: unknown[] } | undefined)?.varslingsadresser
      ?.length,
    peers,
  };
}

/** A caller signed with `secret` straight to Enhetsregisteret: does it believe it? */
async function believed(secret: string): Promise<boolean> {
  const token = await new InternalIdentity(secret).sign({
    anonymous: false,
    sub: 'rotation-test',
    org: '310012343',
    pid: null,
    actingFor: null,
    scopes: new Set(['dpv:read']),
  });
  const r = await post(
    running.get('enhetsregisteret')!.url,
    OWN_ADDRESSES,
    {},
    { [CALLER_HEADER]: token },
  );
  if (codes(r).length === 0) return true;
  expect(codes(r)).toEqual(['FORBIDDEN']);
  return false;
}

let served: Awaited<ReturnType<typeof observe>>;

beforeAll(async () => {
  db = await createTestDatabase();
  issuer = await TestIssuer.start();
  for (const def of allSubgraphs) await restartSubgraph(def.name, OLD);
  await restartGateway(OLD);
  served = await observe();
}, 120_000);
afterAll(async () => {
  await gateway?.close();
  for (const s of running.values()) await s.close();
  await issuer?.close();
  await db?.drop();
});

describe('rotating INTERNAL_AUTH_SECRET without a flag day', () => {
  it('serves the firm, the bakery and the subgraphs’ own calls before the rotation', () => {
    expect(served.status).toEqual([200, 200]);
    expect(served.codes).toEqual([]);
    expect(served.inbox).toBe(2);
    expect(served.addresses).toBeGreaterThan(0);
    expect(served.peers.meldingsboks).toBeGreaterThan(0);
    expect(served.peers.varsling).toBeGreaterThan(0);
  });

  it('keeps serving at every step of a rolling rotation, and refuses the old secret once dropped', async () => {
    const seen: Array<[string, Awaited<ReturnType<typeof observe>>]> = [];
    const step = async (what: string, change: () => Promise<void>) => {
      await change();
      seen.push([what, await observe()]);
    };
    // 1. Every subgraph also accepts the new secret; everyone still signs with the old one.
    for (const name of ['enhetsregisteret', 'meldingsboks', 'varsling']) {
      await step(`1: ${name} accepts NEW`, () => restartSubgraph(name, OLD, NEW));
    }
    // 2. Every process signs with the new secret; subgraphs still accept the old one.
    await step('2: gateway signs NEW', () => restartGateway(NEW));
    expect(await believed(OLD)).toBe(true);
    for (const name of ['enhetsregisteret', 'meldingsboks', 'varsling']) {
      await step(`2: ${name} signs NEW, accepts OLD`, () => restartSubgraph(name, NEW, OLD));
    }
    expect(await believed(OLD)).toBe(true);
    expect(await believed(NEW)).toBe(true);
    // 3. (After a token lifetime, 60 s; here every signer has restarted.) Drop the old secret.
    for (const name of ['enhetsregisteret', 'meldingsboks', 'varsling']) {
      await step(`3: ${name} drops OLD`, () => restartSubgraph(name, NEW));
    }
    for (const [what, observed] of seen) expect(observed, what).toEqual(served);
    expect(await believed(OLD)).toBe(false);
    expect(await believed(NEW)).toBe(true);
  }, 180_000);

  it('a gateway left on the dropped secret: its callers are anonymous to the subgraphs', async () => {
    // The flag day the rotation avoids, as clients see it: no 401, the private fields FORBIDDEN.
    await restartGateway(OLD);
    const observed = await observe();
    expect(observed.status).toEqual([200, 200]);
    expect(observed.codes).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    expect(observed.peers).toEqual(served.peers);
    await restartGateway(NEW);
    expect(await observe()).toEqual(served);
  }, 60_000);
});
