import type { PeerClient } from '../../../platform/http/peer.js';
import { EnhetKeys } from './roles.js';

interface Cached {
  roles: ReadonlySet<string>;
  expires: number;
}

/**
 * Asks Enhetsregisteret which roles persons hold in an enhet now (as the graph's own service,
 * with the internal scope that matches on person identifiers). As with firms' roles, answers are
 * dropped when Enhetsregisteret's role change feed names the enhet, and kept at most `ttlMs`.
 */
export class PersonRoleChecker {
  private readonly cache = new Map<string, Cached>();
  private readonly keysOf = new EnhetKeys();

  constructor(
    private readonly enhetsregisteret: PeerClient,
    private readonly ttlMs: number,
  ) {}

  /** The current roles of each of `pids` in `enhet` (an empty set for none). */
  async rolesOf(
    enhet: string,
    pids: readonly string[],
    { fresh = false } = {},
  ): Promise<Map<string, ReadonlySet<string>>> {
    const now = Date.now();
    const result = new Map<string, ReadonlySet<string>>();
    const missing: string[] = [];
    for (const pid of new Set(pids)) {
      const hit = fresh ? undefined : this.cache.get(`${enhet}|${pid}`);
      if (hit && hit.expires > now) result.set(pid, hit.roles);
      else missing.push(pid);
    }
    for (let i = 0; i < missing.length; i += 1000) {
      const chunk = missing.slice(i, i + 1000);
      const data = await this.enhetsregisteret.request<{
        personroller: Array<{ person: string; rolletype: string }>;
      }>(
        `query Personroller($enhet: String!, $personer: [String!]!) {
          personroller(enhet: $enhet, personer: $personer) { person rolletype }
        }`,
        { enhet, personer: chunk },
      );
      const found = new Map<string, Set<string>>(chunk.map((p) => [p, new Set()]));
      for (const r of data.personroller) found.get(r.person)?.add(r.rolletype);
      for (const [pid, roles] of found) {
        result.set(pid, roles);
        if (this.ttlMs > 0) {
          this.cache.set(`${enhet}|${pid}`, { roles, expires: now + this.ttlMs });
          this.keysOf.add(enhet, `${enhet}|${pid}`);
        }
      }
    }
    if (this.cache.size > 100_000) {
      for (const [key, entry] of this.cache) if (entry.expires <= now) this.cache.delete(key);
      this.keysOf.clear();
      for (const key of this.cache.keys()) this.keysOf.add(key.slice(0, key.indexOf('|')), key);
    }
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
}
