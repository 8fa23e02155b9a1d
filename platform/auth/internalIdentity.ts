import { createHash } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTHeaderParameters } from 'jose';
import { LRUCache } from 'lru-cache';
import { callerFrom, type Caller } from './caller.js';

/** The header that carries the gateway-signed caller to a subgraph. */
export const CALLER_HEADER = 'dpv-caller';
/** The header that carries the request id from the gateway to the subgraphs. */
export const REQUEST_ID_HEADER = 'x-request-id';

const ISSUER = 'dpv-graph-gateway';
const AUDIENCE = 'dpv-graph-subgraphs';

/**
 * The key id of a secret: the first 8 bytes of a SHA-256 of it (base64url), never the secret.
 * Processes given the same secret agree on it without being told, and an operator can compare it
 * across processes (it is logged at start) without seeing the secret.
 */
export function keyIdOf(secret: string): string {
  return createHash('sha256')
    .update(`dpv-graph internal key id\0${secret}`)
    .digest()
    .subarray(0, 8)
    .toString('base64url');
}

/**
 * The gateway forwards a caller it has verified as a short-lived token signed (HS256) with a
 * secret only the graph's own processes hold. A subgraph believes nothing else: a missing,
 * forged or expired token makes the caller anonymous.
 *
 * Each token names its key (`kid`, {@link keyIdOf}). Tokens are signed with `secret`; a second
 * secret (`also`) is accepted as well, so that a rotation needs no flag day (docs/operations.md).
 * A token whose `kid` names neither is refused; one without a `kid` (from a gateway older than
 * key ids) is checked against `secret`.
 */
export class InternalIdentity {
  private readonly key: Uint8Array;
  /** The id of the signing key. */
  readonly keyId: string;
  /** Accepted keys by id: the signing key and `also`. */
  private readonly accepted: ReadonlyMap<string, Uint8Array>;
  /** Tokens by caller, each for half its lifetime. */
  private readonly recent: LRUCache<string, Promise<string>>;

  constructor(
    secret: string,
    /** Lifetime of a forwarded identity; one request's fetches all fit in it. @default 60 */
    private readonly ttlSeconds = 60,
    /** Another secret accepted (never signed with): the previous one during a rotation. */
    also?: string,
  ) {
    this.key = new TextEncoder().encode(secret);
    this.keyId = keyIdOf(secret);
    const accepted = new Map<string, Uint8Array>();
    if (also) accepted.set(keyIdOf(also), new TextEncoder().encode(also));
    accepted.set(this.keyId, this.key);
    this.accepted = accepted;
    // At least 1 ms: a ttl of 0 would keep a token forever.
    this.recent = new LRUCache({ max: 10_000, ttl: Math.max(1, Math.floor(ttlSeconds * 500)) });
  }

  /**
   * A token for `caller`, the same one while more than half its lifetime is left: one signature
   * per caller and half-lifetime instead of one per request, and a stable value for requests of
   * the same caller to share fetches by.
   */
  signReused(caller: Caller): Promise<string> {
    const key = `${caller.sub ?? ''}\n${caller.org ?? ''}\n${caller.pid ?? ''}\n${caller.actingFor ?? ''}\n${[...caller.scopes].sort().join(' ')}`;
    const hit = this.recent.get(key);
    if (hit) return hit;
    const token = this.sign(caller);
    this.recent.set(key, token);
    token.catch(() => {
      if (this.recent.peek(key) === token) this.recent.delete(key);
    });
    return token;
  }

  sign(caller: Caller): Promise<string> {
    const claims: Record<string, string> = { scope: [...caller.scopes].join(' ') };
    if (caller.org) claims.org = caller.org;
    // A person: the enhet it acts for travels as `org` beside `pid`, as in the person's token.
    if (caller.pid) {
      claims.pid = caller.pid;
      if (caller.actingFor) claims.org = caller.actingFor;
    }
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: this.keyId })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`);
    if (caller.sub) jwt.setSubject(caller.sub);
    return jwt.sign(this.key);
  }

  /** The caller in `token`; throws when it was not signed by the graph or has expired. */
  async verify(token: string): Promise<Caller> {
    const { payload } = await jwtVerify(token, this.keyFor, {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['HS256'],
      requiredClaims: ['exp'],
    });
    return callerFrom(payload);
  }

  /** The ids of the keys accepted, the signing one first. */
  get acceptedKeyIds(): string[] {
    return [this.keyId, ...[...this.accepted.keys()].filter((id) => id !== this.keyId)];
  }

  private readonly keyFor = (header: JWTHeaderParameters): Uint8Array => {
    if (header.kid === undefined) return this.key;
    const key = this.accepted.get(header.kid);
    if (!key) {
      throw new errors.JWKSNoMatchingKey(
        `unknown key id ${JSON.stringify(String(header.kid).slice(0, 32))} (accepted: ${this.acceptedKeyIds.join(', ')})`,
      );
    }
    return key;
  };
}

/** Used only outside production, so that `npm start` needs no configuration. */
export const DEVELOPMENT_SECRET = 'dpv-graph development only: never use this secret in production';

/**
 * The internal identity from configuration: signs with INTERNAL_AUTH_SECRET and also accepts
 * INTERNAL_AUTH_SECRET_PREVIOUS. Production must set its own secret and never the development one.
 */
export function internalIdentityFrom(env: {
  NODE_ENV: string;
  INTERNAL_AUTH_SECRET?: string | undefined;
  INTERNAL_AUTH_SECRET_PREVIOUS?: string | undefined;
}): InternalIdentity {
  const production = env.NODE_ENV === 'production';
  if (production) {
    if (!env.INTERNAL_AUTH_SECRET) {
      throw new Error('INTERNAL_AUTH_SECRET is required when NODE_ENV=production');
    }
    for (const name of ['INTERNAL_AUTH_SECRET', 'INTERNAL_AUTH_SECRET_PREVIOUS'] as const) {
      if (env[name] === DEVELOPMENT_SECRET) {
        throw new Error(`${name} is the development secret, refused when NODE_ENV=production`);
      }
    }
  }
  if (env.INTERNAL_AUTH_SECRET_PREVIOUS && !env.INTERNAL_AUTH_SECRET) {
    throw new Error('INTERNAL_AUTH_SECRET_PREVIOUS needs INTERNAL_AUTH_SECRET');
  }
  return new InternalIdentity(
    env.INTERNAL_AUTH_SECRET ?? DEVELOPMENT_SECRET,
    undefined,
    env.INTERNAL_AUTH_SECRET_PREVIOUS,
  );
}
