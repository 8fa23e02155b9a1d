import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { callerFrom, type Caller } from '../../platform/auth/caller.js';
import { CALLER_HEADER, InternalIdentity } from '../../platform/auth/internalIdentity.js';

/** The secret the test graph's gateway and subgraphs share. */
export const testIdentity = new InternalIdentity(
  'test secret for the internal identity, 32+ chars',
);

/** A header that makes a subgraph believe in `claims`, as the gateway would send it. */
export async function asCaller(claims: {
  sub?: string;
  org?: string;
  pid?: string;
  scope?: string;
}) {
  const caller: Caller = callerFrom({ sub: 'test-user', ...claims });
  return { [CALLER_HEADER]: await testIdentity.sign(caller) };
}

export interface TokenOptions {
  sub?: string;
  org?: string;
  /** A person's identifier: the token is a person's (ID-porten) acting for `org`. */
  pid?: string;
  scope?: string;
  /** Seconds from now; negative for an expired token. @default 300 */
  expiresIn?: number;
  /** Seconds ago the token was issued. @default 0 */
  issuedAgo?: number;
  audience?: string;
  issuer?: string;
  /** Sign with a key the JWKS does not hold. */
  foreignKey?: boolean;
}

/**
 * An identity provider on loopback: a JWKS endpoint, as Maskinporten or ID-porten publish one,
 * and tokens signed with its key.
 */
export class TestIssuer {
  static readonly ISSUER = 'https://issuer.test';
  static readonly AUDIENCE = 'dpv-graph-test';

  private constructor(
    private readonly server: http.Server,
    readonly jwksUrl: string,
    private readonly key: CryptoKey,
    private readonly foreign: CryptoKey,
  ) {}

  static async start(): Promise<TestIssuer> {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const foreign = (await generateKeyPair('RS256')).privateKey;
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    const server = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    return new TestIssuer(server, `http://127.0.0.1:${port}/jwks.json`, privateKey, foreign);
  }

  token(options: TokenOptions = {}): Promise<string> {
    const claims: Record<string, string> = { scope: options.scope ?? '' };
    if (options.org) claims.org = options.org;
    if (options.pid) claims.pid = options.pid;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setSubject(options.sub ?? 'test-user')
      .setIssuer(options.issuer ?? TestIssuer.ISSUER)
      .setAudience(options.audience ?? TestIssuer.AUDIENCE)
      .setIssuedAt(Math.floor(Date.now() / 1000) - (options.issuedAgo ?? 0))
      .setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresIn ?? 300))
      .sign(options.foreignKey ? this.foreign : this.key);
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}
