import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { NotificationPolicy } from '../entities/NotificationPolicy.js';

export type Loaders = ReturnType<typeof createLoaders>;

/** What a message contributes to policy resolution. */
export interface PolicyScope {
  senderOrgnr: string;
  serviceCode: string;
}

/** Sender + service beats service, which beats sender, which beats the default. */
function specificity(policy: NotificationPolicy): number {
  return (policy.serviceCode ? 2 : 0) + (policy.senderOrgnr ? 1 : 0);
}

export function createLoaders(em: EntityManager) {
  return {
    /** The policy that applies to each scope, resolved for all scopes in one statement. */
    policyFor: new DataLoader<PolicyScope, NotificationPolicy | null, string>(
      async (scopes) => {
        const candidates = await em.find(NotificationPolicy, {
          $and: [
            {
              $or: [
                { senderOrgnr: { $in: scopes.map((s) => s.senderOrgnr) } },
                { senderOrgnr: null },
              ],
            },
            {
              $or: [
                { serviceCode: { $in: scopes.map((s) => s.serviceCode) } },
                { serviceCode: null },
              ],
            },
          ],
        });
        return scopes.map((scope) =>
          candidates
            .filter(
              (p) =>
                (p.senderOrgnr === null || p.senderOrgnr === scope.senderOrgnr) &&
                (p.serviceCode === null || p.serviceCode === scope.serviceCode),
            )
            .reduce<NotificationPolicy | null>(
              (best, p) => (best === null || specificity(p) > specificity(best) ? p : best),
              null,
            ),
        );
      },
      { cacheKeyFn: (s) => `${s.senderOrgnr}|${s.serviceCode}` },
    ),
  };
}
