/**
 * Who is calling, as verified at the gateway: the subject, the organisation it acts for (like a
 * Maskinporten consumer's organisation number) and its scopes. Anonymous callers have none.
 *
 * A person (an ID-porten login, a `pid` claim) is never the organisation: for a person `org` is
 * null and `actingFor` names the enhet the person acts for, so every check written for
 * organisation tokens refuses persons unless it asks for them; what a person may do comes from
 * a role or a delegation, never from the token's word alone.
 */
export interface Caller {
  readonly anonymous: boolean;
  /** Token subject: a person, a system, or `service:<name>` for a subgraph's own calls. */
  readonly sub: string | null;
  /** The organisation number the caller acts for as that organisation (organisation tokens). */
  readonly org: string | null;
  /**
   * A person's identifier (ID-porten's `pid`, a national identity number): personal data, never
   * written to logs, traces or metrics.
   */
  readonly pid: string | null;
  /** For a person: the enhet the person acts for (the token's `org` claim). */
  readonly actingFor: string | null;
  readonly scopes: ReadonlySet<string>;
}

export const ANONYMOUS: Caller = Object.freeze({
  anonymous: true,
  sub: null,
  org: null,
  pid: null,
  actingFor: null,
  scopes: new Set<string>(),
});

/** Eleven digits, as a fødselsnummer or a D-number (synthetic ones included). */
export const PID_PATTERN = /^[0-9]{11}$/;

/** A token's `pid` claim that is present but not a person identifier. */
export class InvalidPidClaim extends Error {
  constructor() {
    super('The "pid" claim is not a person identifier (eleven digits).');
  }
}

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
  /** Meldingsboks and varsling ask Enhetsregisteret which roles a person holds in an enhet. */
  READ_PERSON_ROLES = 'internal:personroller:read',
  /** Varsling asks meldingsboks what persons may read of an enhet's post. */
  READ_PERSON_ACCESS = 'internal:personaccess:read',
}

/** Names who did something, for audit rows: the token subject, else the organisation. */
export function actorName(caller: Caller): string {
  return caller.sub ?? `org:${caller.org ?? 'unknown'}`;
}

export function withoutInternalScopes(caller: Caller): Caller {
  const scopes = [...caller.scopes].filter((s) => !s.startsWith(INTERNAL_SCOPE_PREFIX));
  return Object.freeze({ ...caller, scopes: new Set(scopes) });
}

/** The caller in verified claims; throws InvalidPidClaim for a `pid` that is not eleven digits. */
export function callerFrom(claims: {
  sub?: unknown;
  org?: unknown;
  pid?: unknown;
  scope?: unknown;
}): Caller {
  const scope = typeof claims.scope === 'string' ? claims.scope : '';
  const org = typeof claims.org === 'string' ? claims.org : null;
  if (claims.pid !== undefined && (typeof claims.pid !== 'string' || !PID_PATTERN.test(claims.pid)))
    throw new InvalidPidClaim();
  const pid = typeof claims.pid === 'string' ? claims.pid : null;
  return Object.freeze({
    anonymous: false,
    sub: typeof claims.sub === 'string' ? claims.sub : null,
    org: pid ? null : org,
    pid,
    actingFor: pid ? org : null,
    scopes: new Set(scope.split(' ').filter(Boolean)),
  });
}
