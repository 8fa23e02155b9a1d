import { NotificationChannel } from '../entities/NotificationPolicy.js';
import { pickAddresses } from './plan.js';

/** A person's own contact details for one enhet, with what the person may read there. */
export interface PersonRecipient {
  email: string | null;
  mobile: string | null;
  /** Services the person wants notices for; empty: all the person may read. */
  serviceCodes: readonly string[];
  /** What meldingsboks lets the person read of the enhet's post. */
  access: { allOrdinary: boolean; services: readonly string[]; confidential: boolean };
}

/** Confidential post (5504/1): readable only by its own right. */
const CONFIDENTIAL = '5504/1';

function mayRead(p: PersonRecipient, serviceCode: string): boolean {
  if (serviceCode === CONFIDENTIAL) return p.access.confidential;
  return p.access.allOrdinary || p.access.services.includes(serviceCode);
}

/**
 * The extra addresses a message's notice goes to beside the enhet's varslingsadresser: every
 * person who may read the message and wants notices for its service, by one channel each (the
 * policy's choice; where it asks for both, e-mail, since a person is never notified twice).
 */
export function personTargets(
  channel: NotificationChannel,
  serviceCode: string,
  persons: readonly PersonRecipient[],
): Array<{ channel: 'EMAIL' | 'SMS'; address: string }> {
  const one =
    channel === NotificationChannel.EMAIL_AND_SMS ? NotificationChannel.EMAIL_PREFERRED : channel;
  const targets: Array<{ channel: 'EMAIL' | 'SMS'; address: string }> = [];
  for (const p of persons) {
    if (!mayRead(p, serviceCode)) continue;
    if (p.serviceCodes.length > 0 && !p.serviceCodes.includes(serviceCode)) continue;
    const picked = pickAddresses(one, {
      emails: p.email ? [p.email] : [],
      mobiles: p.mobile ? [p.mobile] : [],
    });
    if (picked[0]) targets.push(picked[0]);
  }
  return targets;
}
