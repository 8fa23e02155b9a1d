import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { groupedLoader, keyedLoader } from '../../../platform/graphql/loaders.js';
import { applicablePolicy, type PolicyScope } from '../domain/resolution.js';
import { NotificationPolicy } from '../entities/NotificationPolicy.js';

export type Loaders = ReturnType<typeof createLoaders>;
export type { PolicyScope };

/** One notification (or an order that sends none) as the graph shows it. */
export interface NotificationRow {
  message_id: string;
  recipient_orgnr: string;
  kind: string;
  order_status: string;
  status_reason: string | null;
  deviation: string | null;
  /** Raw SQL gives timestamps as text. */
  planned_at: string | Date;
  deferrals: unknown[];
  id: string | null;
  channel: string | null;
  address: string | null;
  status: string | null;
  sent_at: string | Date | null;
  failure_reason: string | null;
  attempts: number | null;
}

export function createLoaders(em: EntityManager) {
  return {
    policy: keyedLoader(
      (ids: readonly string[]) => em.find(NotificationPolicy, { id: { $in: [...ids] } }),
      (p) => p.id,
    ),
    /** The policy in force now for each scope, resolved for all scopes in one statement. */
    policyFor: new DataLoader<PolicyScope, NotificationPolicy | null, string>(
      async (scopes) => {
        const candidates = await em.find(NotificationPolicy, {
          retiredAt: null,
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
        const now = new Date();
        return scopes.map((scope) => applicablePolicy(candidates, scope, now));
      },
      { cacheKeyFn: (s) => `${s.senderOrgnr}|${s.serviceCode}` },
    ),
    /** The notification orders of each message with their notifications, in one statement. */
    notifications: groupedLoader(
      (ids: readonly string[]) =>
        em.getConnection().execute<NotificationRow[]>(
          `select o.message_id, o.recipient_orgnr, o.kind, o.status as order_status,
             o.status_reason, o.deviation, o.planned_at, o.deferrals, n.id, n.channel, n.address,
             n.status, n.sent_at, n.failure_reason, n.attempts
           from notification_order o left join notification n on n.order_id = o.id
           where o.message_id in (?) order by o.planned_at, o.kind, n.channel, n.address`,
          [[...ids]],
        ),
      (n) => n.message_id,
    ),
  };
}
