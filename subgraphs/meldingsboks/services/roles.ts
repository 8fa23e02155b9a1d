import type { PeerClient } from '../../../platform/http/peer.js';

/** The roles that make an organisation the enhet's accounting firm or auditor. */
export const FIRM_ROLES = ['REGN', 'REVI'] as const;

interface Cached {
  roles: ReadonlySet<string>;
  expires: number;
}

/**
 * Asks Enhetsregisteret which firm roles (REGN, REVI) a holder has in enheter now. Answers are
 * kept at most `ttlMs` (≤ 60 s), so a role that ends stops a grant within that time; a copy
 * that could go stale for longer is never kept.
 */
export class RoleChecker {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly enhetsregisteret: PeerClient,
    private readonly ttlMs: number,
  ) {}

  /** The firm roles `holder` has in each of `enheter` (an empty set for none). */
  async rolesIn(
    holder: string,
    enheter: readonly string[],
    { fresh = false } = {},
  ): Promise<Map<string, ReadonlySet<string>>> {
    const now = Date.now();
    const result = new Map<string, ReadonlySet<string>>();
    const missing: string[] = [];
    for (const enhet of new Set(enheter)) {
      const hit = fresh ? undefined : this.cache.get(`${holder}|${enhet}`);
      if (hit && hit.expires > now) result.set(enhet, hit.roles);
      else missing.push(enhet);
    }
    for (let i = 0; i < missing.length; i += 1000) {
      const chunk = missing.slice(i, i + 1000);
      const data = await this.enhetsregisteret.request<{
        rolleforhold: Array<{ organisasjonsnummer: string; rolletype: string }>;
      }>(
        `query Rolleforhold($innehaver: String!, $enheter: [String!]!, $typer: [String!]!) {
          rolleforhold(innehaver: $innehaver, enheter: $enheter, typer: $typer) {
            organisasjonsnummer rolletype
          }
        }`,
        { innehaver: holder, enheter: chunk, typer: FIRM_ROLES },
      );
      const found = new Map<string, Set<string>>(chunk.map((e) => [e, new Set()]));
      for (const r of data.rolleforhold) found.get(r.organisasjonsnummer)?.add(r.rolletype);
      for (const [enhet, roles] of found) {
        result.set(enhet, roles);
        if (this.ttlMs > 0)
          this.cache.set(`${holder}|${enhet}`, { roles, expires: now + this.ttlMs });
      }
    }
    if (this.cache.size > 100_000) this.prune(now);
    return result;
  }

  private prune(now: number): void {
    for (const [key, entry] of this.cache) if (entry.expires <= now) this.cache.delete(key);
  }
}
