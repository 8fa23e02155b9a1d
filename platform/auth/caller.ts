/**
 * Who is calling, as verified at the gateway: the subject, the organisation it acts for (like a
 * Maskinporten consumer's organisation number) and its scopes. Anonymous callers have none.
 */
export interface Caller {
  readonly anonymous: boolean;
  /** Token subject: a person, a system, or `service:<name>` for a subgraph's own calls. */
  readonly sub: string | null;
  /** The organisation number the caller acts for. */
  readonly org: string | null;
  readonly scopes: ReadonlySet<string>;
}

export const ANONYMOUS: Caller = Object.freeze({
  anonymous: true,
  sub: null,
  org: null,
  scopes: new Set<string>(),
});

/** The scopes the graph knows; a token may carry others, which are ignored. */
export enum Scope {
  /** Read the post of the organisation one acts for. */
  DPV_READ = 'dpv:read',
  /** Send post as an approved public body. */
  DPV_SEND = 'dpv:send',
  /** Grant and revoke access to the inbox of the organisation one acts for. */
  DPV_GRANT = 'dpv:grant',
  /** Approve and withdraw DPV senders (the register of public bodies that may send). */
  DPV_ADMIN = 'dpv:admin',
  /** Create, change and retire notification policies. */
  VARSLING_ADMIN = 'varsling:admin',
  /** Change Enhetsregisteret data, e.g. one's own varslingsadresser. */
  ENHETSREGISTERET_WRITE = 'enhetsregisteret:write',
}

/**
 * Scopes that only the graph's own services carry (e.g. varsling reading varslingsadresser). The
 * gateway strips them from callers' tokens, so no outside token can claim one.
 */
export const INTERNAL_SCOPE_PREFIX = 'internal:';

/** The internal scopes the graph's services use with one another. */
export enum InternalScope {
  /** Varsling reads every enhet's varslingsadresser in Enhetsregisteret. */
  READ_VARSLINGSADRESSER = 'internal:varslingsadresser:read',
}

/** Names who did something, for audit rows: the token subject, else the organisation. */
export function actorName(caller: Caller): string {
  return caller.sub ?? `org:${caller.org ?? 'unknown'}`;
}

export function withoutInternalScopes(caller: Caller): Caller {
  const scopes = [...caller.scopes].filter((s) => !s.startsWith(INTERNAL_SCOPE_PREFIX));
  return Object.freeze({ ...caller, scopes: new Set(scopes) });
}

export function callerFrom(claims: { sub?: unknown; org?: unknown; scope?: unknown }): Caller {
  const scope = typeof claims.scope === 'string' ? claims.scope : '';
  return Object.freeze({
    anonymous: false,
    sub: typeof claims.sub === 'string' ? claims.sub : null,
    org: typeof claims.org === 'string' ? claims.org : null,
    scopes: new Set(scope.split(' ').filter(Boolean)),
  });
}
