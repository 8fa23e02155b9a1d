import { jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { callerFrom, type Caller } from './caller.js';

/** The header that carries the gateway-signed caller to a subgraph. */
export const CALLER_HEADER = 'dpv-caller';
/** The header that carries the request id from the gateway to the subgraphs. */
export const REQUEST_ID_HEADER = 'x-request-id';

const ISSUER = 'dpv-graph-gateway';
const AUDIENCE = 'dpv-graph-subgraphs';

/**
 * The gateway forwards a caller it has verified as a short-lived token signed (HS256) with a
 * secret only the graph's own processes hold. A subgraph believes nothing else: a missing,
 * forged or expired token makes the caller anonymous.
 */
export class InternalIdentity {
  private readonly key: Uint8Array;
  /** Tokens by caller, each for half its lifetime. */
  private readonly recent: LRUCache<string, Promise<string>>;

  constructor(
    secret: string,
    /** Lifetime of a forwarded identity; one request's fetches all fit in it. @default 60 */
    private readonly ttlSeconds = 60,
  ) {
    this.key = new TextEncoder().encode(secret);
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
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`);
    if (caller.sub) jwt.setSubject(caller.sub);
    return jwt.sign(this.key);
  }

  /** The caller in `token`; throws when it was not signed by the graph or has expired. */
  async verify(token: string): Promise<Caller> {
    const { payload } = await jwtVerify(token, this.key, {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['HS256'],
      requiredClaims: ['exp'],
    });
    return callerFrom(payload);
  }
}

/** Used only outside production, so that `npm start` needs no configuration. */
const DEVELOPMENT_SECRET = 'dpv-graph development only: never use this secret in production';

/** The internal identity from configuration; production must set its own secret. */
export function internalIdentityFrom(env: {
  NODE_ENV: string;
  INTERNAL_AUTH_SECRET?: string | undefined;
}): InternalIdentity {
  if (env.INTERNAL_AUTH_SECRET) return new InternalIdentity(env.INTERNAL_AUTH_SECRET);
  if (env.NODE_ENV === 'production') {
    throw new Error('INTERNAL_AUTH_SECRET is required when NODE_ENV=production');
  }
  return new InternalIdentity(DEVELOPMENT_SECRET);
}
