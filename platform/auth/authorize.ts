import { ClientError, ErrorCode } from '../graphql/errors.js';
import type { Caller, Scope } from './caller.js';

/** Throws FORBIDDEN unless the caller holds `scope`. */
export function requireScope(caller: Caller, scope: Scope): void {
  if (!caller.scopes.has(scope)) {
    throw new ClientError(
      ErrorCode.FORBIDDEN,
      caller.anonymous
        ? `This needs a token with scope ${scope}.`
        : `Your token lacks scope ${scope}.`,
      { requiredScope: scope },
    );
  }
}

/**
 * Throws FORBIDDEN unless the caller acts for organisation `org` and holds `scope` (any one of
 * them, when given several).
 */
export function requireActingFor(caller: Caller, org: string, scope: Scope | Scope[]): void {
  const scopes = Array.isArray(scope) ? scope : [scope];
  if (!hasAnyScope(caller, ...scopes)) requireScope(caller, scopes[0]!);
  if (caller.org !== org) {
    throw new ClientError(ErrorCode.FORBIDDEN, `You do not act for organisation ${org}.`);
  }
}

/** True when the caller holds any of `scopes`. */
export function hasAnyScope(caller: Caller, ...scopes: Scope[]): boolean {
  return scopes.some((s) => caller.scopes.has(s));
}
