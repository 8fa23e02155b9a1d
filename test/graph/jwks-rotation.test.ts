import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../gateway/auth.js';
import { TestIssuer } from '../harness/auth.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { bearer, codes, post } from '../harness/graphql.js';
import { startTestGraph, type TestGraph } from '../harness/graph.js';

/**
 * An identity provider that rotates its signing key: a JWKS on loopback whose published keys
 * change, counting how often it is fetched.
 */
class RotatingIssuer {
  fetches = 0;
  private published: string[] = [];
  private readonly keys = new Map<string, { privateKey: CryptoKey; jwk: JWK }>();

  jwksUrl = '';
  private readonly server = http.createServer((_req, res) => {
    this.fetches++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: this.published.map((kid) => this.keys.get(kid)!.jwk) }));
  });

  static async start(): Promise<RotatingIssuer> {
    const issuer = new RotatingIssuer();
    await new Promise<void>((r) => issuer.server.listen(0, '127.0.0.1', r));
    const { port } = issuer.server.address() as AddressInfo;
    issuer.jwksUrl = `http://127.0.0.1:${port}/jwks.json`;
    return issuer;
  }

  /** Makes a key pair (unpublished) named `kid`. */
  async createKey(kid: string): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    this.keys.set(kid, { privateKey, jwk });
  }

  /** The keys the JWKS holds from now on. */
  publish(...kids: string[]): void {
    this.published = kids;
  }

  token(kid: string, sub = 'jwks-rotation'): Promise<string> {
    return new SignJWT({ org: '310012343', scope: 'dpv:read' })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setSubject(sub)
      .setIssuer(TestIssuer.ISSUER)
      .setAudience(TestIssuer.AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(this.keys.get(kid)!.privateKey);
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

const COOLDOWN_MS = 1_500;
const CACHE_MAX_AGE_MS = 4_000;
const INBOX = `{ enhet(organisasjonsnummer: "310012343") { inbox(first: 1) { totalCount } } }`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let db: TestDatabase;
let idp: RotatingIssuer;
let graph: TestGraph;

beforeAll(async () => {
  db = await createTestDatabase();
  idp = await RotatingIssuer.start();
  for (const kid of ['key-1', 'key-2', 'never-published']) await idp.createKey(kid);
  idp.publish('key-1');
  graph = await startTestGraph(db.url, {
    auth: await createAuthenticator({
      jwksUrl: idp.jwksUrl,
      issuer: TestIssuer.ISSUER,
      audience: TestIssuer.AUDIENCE,
      devKeyPath: '/nonexistent',
      jwksCooldownMs: COOLDOWN_MS,
      jwksCacheMaxAgeMs: CACHE_MAX_AGE_MS,
    }),
  });
}, 120_000);
afterAll(async () => {
  await graph?.close();
  await idp?.close();
  await db?.drop();
});

/** What a client with `token` sees: the inbox's size, or the 401's reason. */
async function call(token: string): Promise<number | string> {
  const r = await post(graph.gateway.url, INBOX, {}, bearer(token));
  if (r.status === 401) {
    expect(codes(r)).toEqual(['UNAUTHENTICATED']);
    return `401 ${String(r.errors?.[0]?.extensions?.reason)}`;
  }
  expect(r.status).toBe(200);
  expect(r.errors).toBeUndefined();
  return (r.data?.enhet as { inbox: { totalCount: number } }).inbox.totalCount;
}

describe('the identity provider rotates its signing key', () => {
  it('fetches the JWKS once, refetches it for a new kid, and refuses a removed key', async () => {
    // Before: twenty callers, each with a token of its own, cost one fetch.
    const first = await idp.token('key-1', 'caller-0');
    expect(await call(first)).toBe(2);
    for (let i = 1; i < 20; i++)
      expect(await call(await idp.token('key-1', `caller-${i}`))).toBe(2);
    expect(idp.fetches).toBe(1);

    // Rotation: the provider publishes key-2 and signs with it. The gateway has not seen the kid
    // and refetches (past the cooldown since its first fetch).
    idp.publish('key-1', 'key-2');
    await sleep(COOLDOWN_MS + 200);
    expect(await call(await idp.token('key-2', 'after-rotation'))).toBe(2);
    expect(idp.fetches).toBe(2);
    for (let i = 0; i < 10; i++) expect(await call(await idp.token('key-2', `new-${i}`))).toBe(2);
    expect(await call(await idp.token('key-1', 'still-old'))).toBe(2);
    expect(idp.fetches).toBe(2);

    // Tokens naming a key nobody publishes are refused; they refetch at most once per cooldown.
    const began = Date.now();
    for (let i = 0; i < 30; i++) {
      expect(await call(await idp.token('never-published', `forger-${i}`))).toBe('401 signature');
    }
    const elapsed = Date.now() - began;
    expect(idp.fetches - 2).toBeLessThanOrEqual(1 + Math.floor(elapsed / COOLDOWN_MS));

    // Removal: key-1 leaves the JWKS. Within the cache's age the gateway still has it...
    idp.publish('key-2');
    const removedAt = Date.now();
    const fetchesAtRemoval = idp.fetches;
    expect(await call(await idp.token('key-1', 'right-after-removal'))).toBe(2);
    // ...once that has passed, key-1's tokens are refused: new ones, and the one the gateway
    // had verified (and kept) before the rotation.
    await sleep(Math.max(0, removedAt + CACHE_MAX_AGE_MS + 300 - Date.now()));
    expect(await call(await idp.token('key-1', 'after-removal'))).toBe('401 signature');
    expect(await call(first)).toBe('401 signature');
    expect(await call(await idp.token('key-2', 'after-removal'))).toBe(2);
    expect(idp.fetches).toBe(fetchesAtRemoval + 1);
  }, 60_000);
});
