import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { Scope, type Caller } from '../../platform/auth/caller.js';
import { requireScope } from '../../platform/auth/authorize.js';
import { ClientError, ErrorCode } from '../../platform/graphql/errors.js';
import { preview } from '../../platform/graphql/preview.js';
import { VISIBLE_TO_RECIPIENT } from './domain/lifecycle.js';
import { CONFIDENTIAL } from './domain/services.js';
import { GrantKind, InboxGrant } from './entities/InboxGrant.js';
import type { Message } from './entities/Message.js';
import { personViews } from './personAccess.js';
import type { PersonRoleChecker } from './services/personRoles.js';
import type { RoleChecker } from './services/roles.js';

/** What of one inbox a caller may see. */
export interface InboxView {
  /** All ordinary DPV post. */
  allOrdinary: boolean;
  /** Ordinary services opened one by one (when not all). */
  services: readonly string[];
  /** Confidential post (5504/1). */
  confidential: boolean;
}

export function viewAllows(view: InboxView, serviceCode: string): boolean {
  if (serviceCode === CONFIDENTIAL) return view.confidential;
  return view.allOrdinary || view.services.includes(serviceCode);
}

/** The grants that hold now: not revoked, and a grant given to the owner's REGN/REVI only while that role lasts. */
export async function validGrants(
  em: EntityManager,
  roles: RoleChecker,
  grantee: string,
  owners: readonly string[] | 'all',
): Promise<InboxGrant[]> {
  const grants = await em.find(
    InboxGrant,
    owners === 'all'
      ? { granteeOrgnr: grantee, revokedAt: null }
      : { granteeOrgnr: grantee, ownerOrgnr: { $in: [...owners] }, revokedAt: null },
    { orderBy: { grantedAt: 'asc', id: 'asc' } },
  );
  const viaRole = grants.filter((g) => g.viaRole);
  if (viaRole.length === 0) return grants;
  const held = await roles.rolesIn(grantee, [...new Set(viaRole.map((g) => g.ownerOrgnr))]);
  return grants.filter((g) => !g.viaRole || held.get(g.ownerOrgnr)?.has(g.viaRole));
}

/** Folds grants into the view they give; an organisation's own inbox shows all ordinary post. */
export function viewFrom(own: boolean, grants: readonly InboxGrant[]): InboxView | null {
  const view = { allOrdinary: own, services: [] as string[], confidential: false };
  for (const g of grants) {
    if (g.kind === GrantKind.ALL_DPV) view.allOrdinary = true;
    if (g.kind === GrantKind.SERVICES) view.services.push(...g.serviceCodes);
    if (g.kind === GrantKind.CONFIDENTIAL) view.confidential = true;
  }
  const any = view.allOrdinary || view.services.length > 0 || view.confidential;
  return any ? view : null;
}

/**
 * Who may read what, for one request. An organisation reads its own inbox with dpv:read, except
 * confidential post, which nobody sees until the enhet grants access to it (to itself or to
 * another organisation). Others read what the owner's grants open. A person (a `pid` token) reads
 * only the enhet the person acts for, and there only what a current role or a delegation gives
 * (`personViews`).
 */
export class AccessPolicy {
  private readonly views: DataLoader<string, InboxView | null>;

  constructor(
    private readonly caller: Caller,
    em: EntityManager,
    roles: RoleChecker,
    personRoles: PersonRoleChecker,
  ) {
    this.views = new DataLoader(async (owners) => {
      if (caller.pid) {
        const { pid, actingFor } = caller;
        if (!actingFor || !caller.scopes.has(Scope.DPV_READ)) return owners.map(() => null);
        if (!owners.includes(actingFor)) return owners.map(() => null);
        const view = (await personViews(em, personRoles, actingFor, [pid])).get(pid) ?? null;
        return owners.map((owner) => (owner === actingFor ? view : null));
      }
      const org = caller.org;
      if (!org || !caller.scopes.has(Scope.DPV_READ)) return owners.map(() => null);
      const grants = await validGrants(em, roles, org, owners);
      return owners.map((owner) =>
        viewFrom(
          owner === org,
          grants.filter((g) => g.ownerOrgnr === owner),
        ),
      );
    });
  }

  /** What the caller may see of `owner`'s inbox; null for nothing. */
  view(owner: string): Promise<InboxView | null> {
    return this.views.load(owner);
  }

  /** The view of `owner`'s inbox, or FORBIDDEN (UNAUTHENTICATED-like message when anonymous). */
  async requireView(owner: string): Promise<InboxView> {
    if (this.caller.anonymous || !this.caller.scopes.has(Scope.DPV_READ)) {
      requireScope(this.caller, Scope.DPV_READ);
    }
    const view = await this.view(owner);
    if (!view) {
      throw new ClientError(
        ErrorCode.FORBIDDEN,
        `You have no access to the inbox of ${preview(owner)}.`,
      );
    }
    return view;
  }

  /** True when the caller sent the message (as the technical or the real sender). */
  isSenderOf(message: Message): boolean {
    const { org, scopes } = this.caller;
    return (
      !!org &&
      scopes.has(Scope.DPV_SEND) &&
      (org === message.technicalSenderOrgnr || org === message.senderOrgnr)
    );
  }

  /** True when the caller reads the message on the recipient's side (it is published and not purged). */
  async readsAsRecipient(message: Message): Promise<boolean> {
    if (!VISIBLE_TO_RECIPIENT.has(message.status)) return false;
    const view = await this.view(message.recipientOrgnr);
    return !!view && viewAllows(view, message.serviceCode);
  }

  async canRead(message: Message): Promise<boolean> {
    return this.isSenderOf(message) || (await this.readsAsRecipient(message));
  }
}
