import type { NotificationPolicy } from '../entities/NotificationPolicy.js';

/** What a message contributes to policy resolution. */
export interface PolicyScope {
  senderOrgnr: string;
  serviceCode: string;
}

/** Sender + service beats service, which beats sender, which beats the default. */
function specificity(policy: NotificationPolicy): number {
  return (policy.serviceCode ? 2 : 0) + (policy.senderOrgnr ? 1 : 0);
}

/** Whether the policy is in force at `at`: not retired, and within its active period. */
export function inForce(p: NotificationPolicy, at: Date): boolean {
  return (
    !p.retiredAt &&
    (!p.activeFrom || p.activeFrom.getTime() <= at.getTime()) &&
    (!p.activeTo || at.getTime() < p.activeTo.getTime())
  );
}

/** The most specific policy in force at `at` that covers `scope`, or null. */
export function applicablePolicy(
  candidates: readonly NotificationPolicy[],
  scope: PolicyScope,
  at: Date,
): NotificationPolicy | null {
  return candidates
    .filter(
      (p) =>
        inForce(p, at) &&
        (p.senderOrgnr === null || p.senderOrgnr === scope.senderOrgnr) &&
        (p.serviceCode === null || p.serviceCode === scope.serviceCode),
    )
    .reduce<NotificationPolicy | null>(
      (best, p) => (best === null || specificity(p) > specificity(best) ? p : best),
      null,
    );
}
