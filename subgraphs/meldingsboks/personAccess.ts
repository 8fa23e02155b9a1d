import type { EntityManager } from '@mikro-orm/postgresql';
import { ADMINISTERING_ROLES, POST_ARKIV_ROLES } from '../domain/personRoles.js';
import type { InboxView } from './access.js';
import { GrantKind } from './entities/InboxGrant.js';
import { PersonGrant } from './entities/PersonGrant.js';
import type { PersonRoleChecker } from './services/personRoles.js';

/**
 * What each of `pids` may read of `enhet`'s post: all ordinary post by a role that carries
 * Post/arkiv (a current one: not resigned), plus what the enhet delegated to the person and has
 * not withdrawn. Confidential post only by its own delegation, never by role. Null for nothing.
 */
export async function personViews(
  em: EntityManager,
  roles: PersonRoleChecker,
  enhet: string,
  pids: readonly string[],
): Promise<Map<string, InboxView | null>> {
  const unique = [...new Set(pids)];
  const result = new Map<string, InboxView | null>();
  if (unique.length === 0) return result;
  const [held, grants] = await Promise.all([
    roles.rolesOf(enhet, unique),
    em.find(
      PersonGrant,
      { ownerOrgnr: enhet, granteePid: { $in: unique }, revokedAt: null },
      { orderBy: { grantedAt: 'asc', id: 'asc' } },
    ),
  ]);
  for (const pid of unique) {
    const byRole = [...(held.get(pid) ?? [])].some((r) => POST_ARKIV_ROLES.includes(r));
    const view = { allOrdinary: byRole, services: [] as string[], confidential: false };
    for (const g of grants) {
      if (g.granteePid !== pid) continue;
      if (g.kind === GrantKind.ALL_DPV) view.allOrdinary = true;
      if (g.kind === GrantKind.SERVICES) view.services.push(...g.serviceCodes);
      if (g.kind === GrantKind.CONFIDENTIAL) view.confidential = true;
    }
    const any = view.allOrdinary || view.services.length > 0 || view.confidential;
    result.set(pid, any ? view : null);
  }
  return result;
}

/** True when the person holds a role that administers the enhet's rights (asked afresh). */
export async function personAdministers(
  roles: PersonRoleChecker,
  enhet: string,
  pid: string,
): Promise<boolean> {
  const held = (await roles.rolesOf(enhet, [pid], { fresh: true })).get(pid) ?? new Set();
  return [...held].some((r) => ADMINISTERING_ROLES.includes(r));
}
