import type { PeerClient } from '../../../platform/http/peer.js';

/** The roles that make an organisation the enhet's accounting firm or auditor. */
export const FIRM_ROLES = ['REGN', 'REVI'] as const;

interface Cached {
  roles: ReadonlySet<string>;
  expires: number;
}

/**
 * Asks Enhetsregisteret which firm roles (REGN, REVI) a holder has in enheter now. Answers are
 * dropped when Enhetsregisteret's role change feed names the enhet (`invalidate`), and kept at
 * most `ttlMs` (≤ 60 s) in any case.
 */
export class RoleChecker {
  private readonly cache = new Map<string, Cached>();
  private readonly keysOf = new EnhetKeys();

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
        if (this.ttlMs > 0) {
          this.cache.set(`${holder}|${enhet}`, { roles, expires: now + this.ttlMs });
          this.keysOf.add(enhet, `${holder}|${enhet}`);
        }
      }
    }
    if (this.cache.size > 100_000) this.prune(now);
    return result;
  }

  /** Forgets what is known of roles in `enhet` (its roles changed). */
  invalidate(enhet: string): void {
    for (const key of this.keysOf.take(enhet)) this.cache.delete(key);
  }

  /** Forgets everything (role changes may have been missed). */
  clear(): void {
    this.cache.clear();
    this.keysOf.clear();
  }

  private prune(now: number): void {
    for (const [key, entry] of this.cache) if (entry.expires <= now) this.cache.delete(key);
    this.keysOf.clear();
    for (const key of this.cache.keys()) this.keysOf.add(key.slice(key.indexOf('|') + 1), key);
  }
}

/** The cache keys held for each enhet, so that a role change drops them together. */
export class EnhetKeys {
  private readonly keys = new Map<string, Set<string>>();

  add(enhet: string, key: string): void {
    let set = this.keys.get(enhet);
    if (!set) this.keys.set(enhet, (set = new Set()));
    set.add(key);
  }

  /** The keys of `enhet`, forgotten here. */
  take(enhet: string): Iterable<string> {
    const set = this.keys.get(enhet) ?? [];
    this.keys.delete(enhet);
    return set;
  }

  clear(): void {
    this.keys.clear();
  }
}
