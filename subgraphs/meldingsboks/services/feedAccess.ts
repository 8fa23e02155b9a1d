import { LRUCache } from 'lru-cache';
import { Scope, type Caller } from '../../../platform/auth/caller.js';
import type { MikroORM } from '../../../platform/db/orm.js';
import type { Limiter } from '../../../platform/runtime/limiter.js';
import { AccessPolicy, type InboxView } from '../access.js';
import type { PersonRoleChecker } from './personRoles.js';
import type { RoleChecker } from './roles.js';

/** Everything an inbox view depends on in the caller (AccessPolicy reads no more of it). */
export function identityOf(caller: Caller): string {
  const read = caller.scopes.has(Scope.DPV_READ) ? 'r' : '-';
  return caller.pid
    ? `p:${caller.pid}:${caller.actingFor ?? ''}:${read}`
    : `o:${caller.org ?? ''}:${read}`;
}

/**
 * The live feeds' access answers, one per (caller identity, inbox), shared by every feed of
 * that identity and kept until an event says the inbox's access changed: a grant or revocation
 * (meldingsboks' own outbox, AccessChanged) or a role change in the enhet (Enhetsregisteret's
 * role change feed). No answer is kept for a time: it is right until it is dropped, and it is
 * dropped before any feed reads an event after the change (the tail's observers run first).
 * An answer being loaded when its inbox changes is loaded again.
 */
export class FeedAccess {
  private readonly views: LRUCache<string, Promise<InboxView | null>>;
  /** The cached keys of each inbox, to drop them together. */
  private readonly keysOf = new Map<string, Set<string>>();
  /** Bumped by every change of an inbox's access. */
  private readonly generation = new Map<string, number>();

  constructor(
    private readonly orm: MikroORM,
    private readonly roles: RoleChecker,
    private readonly personRoles: PersonRoleChecker,
    private readonly limiter: Limiter,
    max = 100_000,
  ) {
    this.views = new LRUCache({
      max,
      dispose: (_value, key) => {
        const owner = key.slice(key.lastIndexOf('|') + 1);
        const keys = this.keysOf.get(owner);
        keys?.delete(key);
        if (keys?.size === 0) this.keysOf.delete(owner);
      },
    });
  }

  /** What `caller` may see of `owner`'s inbox now (null for nothing). */
  view(caller: Caller, owner: string): Promise<InboxView | null> {
    const key = `${identityOf(caller)}|${owner}`;
    const hit = this.views.get(key);
    if (hit) return hit;
    const loading = this.load(caller, owner);
    // A failed answer (the database away) is not kept: the next event asks again.
    loading.catch(() => {
      if (this.views.peek(key) === loading) this.views.delete(key);
    });
    this.views.set(key, loading);
    let keys = this.keysOf.get(owner);
    if (!keys) this.keysOf.set(owner, (keys = new Set()));
    keys.add(key);
    return loading;
  }

  /** Drops every answer about `owner`'s inbox. */
  invalidate(owner: string): void {
    this.generation.set(owner, (this.generation.get(owner) ?? 0) + 1);
    const keys = this.keysOf.get(owner);
    if (!keys) return;
    this.keysOf.delete(owner);
    for (const key of keys) this.views.delete(key);
  }

  /** Forgets every inbox's answers (role changes may have been missed). */
  clear(): void {
    for (const owner of [...this.keysOf.keys()]) this.invalidate(owner);
  }

  private async load(caller: Caller, owner: string): Promise<InboxView | null> {
    for (;;) {
      const stamp = this.stamp(owner);
      const view = await this.limiter.run(() =>
        new AccessPolicy(caller, this.orm.em.fork(), this.roles, this.personRoles).view(owner),
      );
      if (this.stamp(owner) === stamp) return view;
    }
  }

  private stamp(owner: string): number {
    return this.generation.get(owner) ?? 0;
  }
}
