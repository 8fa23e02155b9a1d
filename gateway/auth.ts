import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey, type CryptoKey } from 'jose';
import { LRUCache } from 'lru-cache';
import {
  ANONYMOUS,
  callerFrom,
  InvalidPidClaim,
  withoutInternalScopes,
  type Caller,
} from '../platform/auth/caller.js';
import { DEV_AUDIENCE, DEV_ISSUER, loadDevKeyPair } from '../platform/auth/devKeys.js';
import { ClientError, ErrorCode } from '../platform/graphql/errors.js';

export interface AuthOptions {
  /** Production: verify against this JWKS, with `issuer` and `audience`. */
  jwksUrl?: string | undefined;
  issuer?: string | undefined;
  audience?: string | undefined;
  /**
   * The JWKS is fetched on first use and kept this long; a token verified with it is kept no
   * longer either, so a key the provider removes stops being accepted within twice this.
   * @default 600 000 (10 min)
   */
  jwksCacheMaxAgeMs?: number | undefined;
  /**
   * A token naming a key the kept JWKS lacks makes the gateway fetch it again, at most once in
   * this long; in between such tokens are refused (401). @default 30 000
   */
  jwksCooldownMs?: number | undefined;
  /** Development (no JWKS): the key pair kept here, created on first use. */
  devKeyPath: string;
  /** Longest lifetime accepted, in seconds: `exp − iat` and `exp − now`. @default 86 400 */
  maxLifetimeSeconds?: number | undefined;
}

/** Turns an `Authorization` header into a caller, or refuses it with HTTP 401. */
export interface Authenticator {
  authenticate(authorization: string | undefined): Promise<Caller>;
  /** As `authenticate`, with when the token expires (epoch ms; null when anonymous). */
  verify(authorization: string | undefined): Promise<{ caller: Caller; expiresAt: number | null }>;
  /** `jwks` or `development`. */
  mode: 'jwks' | 'development';
}

/** The default longest token lifetime: a day. */
export const MAX_TOKEN_LIFETIME_SECONDS = 86_400;
const CLOCK_TOLERANCE_SECONDS = 5;
/** jose's defaults, named. */
export const JWKS_CACHE_MAX_AGE_MS = 600_000;
export const JWKS_COOLDOWN_MS = 30_000;

export async function createAuthenticator(options: AuthOptions): Promise<Authenticator> {
  const maxLifetime = options.maxLifetimeSeconds ?? MAX_TOKEN_LIFETIME_SECONDS;
  if (options.jwksUrl) {
    if (!options.issuer || !options.audience) {
      throw new Error('AUTH_JWKS_URL needs AUTH_ISSUER and AUTH_AUDIENCE');
    }
    const cacheMaxAge = options.jwksCacheMaxAgeMs ?? JWKS_CACHE_MAX_AGE_MS;
    // jose refetches on a `kid` it does not hold (after the cooldown) and once the copy is older
    // than cacheMaxAge; concurrent refetches share one request.
    const jwks = createRemoteJWKSet(new URL(options.jwksUrl), {
      cacheMaxAge,
      cooldownDuration: options.jwksCooldownMs ?? JWKS_COOLDOWN_MS,
    });
    return authenticator('jwks', jwks, options.issuer, options.audience, maxLifetime, cacheMaxAge);
  }
  const { publicKey } = await loadDevKeyPair(options.devKeyPath);
  return authenticator(
    'development',
    publicKey,
    DEV_ISSUER,
    DEV_AUDIENCE,
    maxLifetime,
    Number.POSITIVE_INFINITY,
  );
}

/** Verified tokens kept (each until it expires). */
const MAX_VERIFIED = 10_000;

function authenticator(
  mode: Authenticator['mode'],
  key: CryptoKey | JWTVerifyGetKey,
  issuer: string,
  audience: string,
  maxLifetime: number,
  /** How long a verified token is kept at most (besides its expiry). */
  keepVerifiedMs: number,
): Authenticator {
  // A token verified once stays good until it expires: verified callers are kept by token, so
  // a client's every request does not pay for a signature check. Each entry lives until its
  // token's expiry (lru-cache's ttl, on its own monotonic clock), and with a JWKS no longer than
  // the JWKS itself is kept, so that a removed key's tokens are checked again; a hit is also
  // checked against the wall clock the token's `exp` is on.
  const verified = new LRUCache<string, { caller: Caller; expiresAt: number }>({
    max: MAX_VERIFIED,
  });
  const verify = async (authorization: string | undefined) => {
    if (authorization === undefined || authorization === '') {
      return { caller: ANONYMOUS, expiresAt: null };
    }
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw unauthenticated('malformed', 'Authorization must be "Bearer <token>".');
    const token = match[1]!;
    const hit = verified.get(token);
    if (hit && hit.expiresAt > Date.now()) return hit;
    try {
      const { payload } = await jwtVerify(token, key as CryptoKey, {
        issuer,
        audience,
        algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
        requiredClaims: ['exp', 'sub'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      const exp = payload.exp!;
      const lifetime = Math.max(
        typeof payload.iat === 'number' ? exp - payload.iat : 0,
        exp - Date.now() / 1000 - CLOCK_TOLERANCE_SECONDS,
      );
      if (lifetime > maxLifetime) {
        throw unauthenticated(
          'lifetime',
          `The token lives ${Math.round(lifetime)} s; this gateway accepts at most ${maxLifetime} s.`,
        );
      }
      const result = {
        caller: withoutInternalScopes(callerFrom(payload)),
        expiresAt: payload.exp! * 1000,
      };
      // Not kept when already past `exp` (within the clock tolerance): a ttl of 0 is forever.
      const ttl = Math.min(result.expiresAt - Date.now(), keepVerifiedMs);
      if (ttl > 0) verified.set(token, result, { ttl });
      return result;
    } catch (err) {
      if (err instanceof ClientError) throw err;
      throw unauthenticated(...reasonOf(err));
    }
  };
  return {
    mode,
    verify,
    authenticate: async (authorization) => (await verify(authorization)).caller,
  };
}

/** A stable reason code and a message that says what to fix, never the token itself. */
function reasonOf(err: unknown): [string, string] {
  if (err instanceof errors.JWTExpired) return ['expired', 'The token has expired.'];
  if (err instanceof InvalidPidClaim) return ['claim:pid', err.message];
  if (err instanceof errors.JWTClaimValidationFailed) {
    return [`claim:${err.claim}`, `The token's "${err.claim}" claim is not accepted.`];
  }
  if (
    err instanceof errors.JWSSignatureVerificationFailed ||
    err instanceof errors.JWKSNoMatchingKey
  ) {
    return ['signature', 'The token is not signed by a trusted key.'];
  }
  if (err instanceof errors.JOSEAlgNotAllowed)
    return ['algorithm', 'The token algorithm is not accepted.'];
  if (err instanceof errors.JOSEError) return ['invalid', 'The token is not a valid JWT.'];
  return ['unverifiable', 'The token could not be verified.'];
}

function unauthenticated(reason: string, message: string): ClientError {
  return new ClientError(ErrorCode.UNAUTHENTICATED, message, {
    reason,
    http: {
      status: 401,
      headers: new Map([['www-authenticate', `Bearer error="invalid_token"`]]),
    },
  });
}
