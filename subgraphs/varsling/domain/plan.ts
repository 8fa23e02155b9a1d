import { NotificationChannel, NotificationKind } from '../entities/NotificationPolicy.js';
import {
  addDays,
  DEFAULT_WINDOW,
  nextAllowedMoment,
  osloDate,
  osloDateTime,
  osloTime,
  type Deferral,
  type SendingWindow,
} from './calendar.js';
import { DEFAULT_TEMPLATES, type PolicyValues } from './policyInput.js';
import { asReminder, INBOX_URL, render, SERVICE_DESCRIPTIONS } from './templates.js';

/** Confidential post (taushetsbelagt post): notification is mandatory. */
export const CONFIDENTIAL = '5504/1';

/** What planning needs of a policy (a stored one, or one being previewed). */
export type PolicyRules = Pick<
  PolicyValues,
  | 'kind'
  | 'channel'
  | 'windowDays'
  | 'windowStart'
  | 'windowEnd'
  | 'skipHolidays'
  | 'reminder'
  | 'reminderDelayDays'
  | 'emailSubject'
  | 'emailBody'
  | 'smsText'
>;

/** Used when no policy applies and a notice is mandatory all the same (confidential post). */
export const FALLBACK_RULES: PolicyRules = {
  kind: NotificationKind.VARSEL,
  channel: NotificationChannel.EMAIL_PREFERRED,
  windowDays: DEFAULT_WINDOW.days,
  windowStart: DEFAULT_WINDOW.start,
  windowEnd: DEFAULT_WINDOW.end,
  skipHolidays: DEFAULT_WINDOW.skipHolidays,
  reminder: true,
  reminderDelayDays: 7,
  ...DEFAULT_TEMPLATES,
};

export interface PlanMessage {
  recipientOrgnr: string;
  recipientName: string;
  senderName: string;
  serviceCode: string;
  title: string;
  publishedAt: Date;
}

export interface Addresses {
  emails: string[];
  mobiles: string[];
}

export type OrderKind = 'NOTICE' | 'REMINDER' | 'SERVICE_MESSAGE';

export interface PlannedNotification {
  channel: 'EMAIL' | 'SMS';
  address: string;
  subject: string | null;
  body: string;
}

export interface PlannedOrder {
  kind: OrderKind;
  plannedAt: Date;
  deferrals: Deferral[];
  notifications: PlannedNotification[];
  /** Why nothing is sent, when nothing is. */
  cancelled: string | null;
}

export const windowOf = (p: PolicyRules): SendingWindow => ({
  days: p.windowDays,
  start: p.windowStart.slice(0, 5),
  end: p.windowEnd.slice(0, 5),
  skipHolidays: p.skipHolidays,
});

/** The rules in effect: confidential post always gets a notice, whatever the policy says. */
export function effectiveRules(
  policy: PolicyRules | null,
  serviceCode: string,
): PolicyRules | null {
  if (serviceCode === CONFIDENTIAL) {
    if (!policy) return FALLBACK_RULES;
    return policy.kind === NotificationKind.VARSEL
      ? policy
      : { ...policy, kind: NotificationKind.VARSEL };
  }
  if (!policy || policy.kind === NotificationKind.NONE) return null;
  return policy;
}

/** The channels and addresses, one channel only unless the policy asks for both. */
export function pickAddresses(
  channel: NotificationChannel,
  a: Addresses,
): Array<{ channel: 'EMAIL' | 'SMS'; address: string }> {
  const email = a.emails.map((address) => ({ channel: 'EMAIL' as const, address }));
  const sms = a.mobiles.map((address) => ({ channel: 'SMS' as const, address }));
  switch (channel) {
    case NotificationChannel.EMAIL:
      return email;
    case NotificationChannel.SMS:
      return sms;
    case NotificationChannel.EMAIL_PREFERRED:
      return email.length ? email : sms;
    case NotificationChannel.SMS_PREFERRED:
      return sms.length ? sms : email;
    case NotificationChannel.EMAIL_AND_SMS:
      return [...email, ...sms];
  }
}

/** The moment `days` days later at the same Oslo wall-clock time. */
export function daysLater(at: Date, days: number): Date {
  return osloDateTime(addDays(osloDate(at), days), osloTime(at));
}

/** The notice (or service message) and the reminder a message gets under `rules`. */
export function planOrders(
  rules: PolicyRules,
  m: PlanMessage,
  addresses: Addresses,
  /** Persons' own addresses beside the enhet's (`personTargets`), each once. */
  extra: ReadonlyArray<{ channel: 'EMAIL' | 'SMS'; address: string }> = [],
): PlannedOrder[] {
  const window = windowOf(rules);
  const values = {
    avsender: m.senderName,
    mottakerNavn: m.recipientName,
    mottakerOrgnr: m.recipientOrgnr,
    tjeneste: SERVICE_DESCRIPTIONS[m.serviceCode] ?? m.serviceCode,
    lenke: INBOX_URL,
    tittel: m.title,
  };
  const seen = new Set<string>();
  const targets = [...pickAddresses(rules.channel, addresses), ...extra].filter((t) => {
    const key = `${t.channel} ${t.address}`;
    return !seen.has(key) && !!seen.add(key);
  });
  const cancelled = targets.length ? null : 'the enhet has no varslingsadresse for this channel';
  const notifications = (reminder: boolean): PlannedNotification[] =>
    targets.map(({ channel, address }) => {
      const wrap = (s: string) => (reminder ? asReminder(s) : s);
      return channel === 'EMAIL'
        ? {
            channel,
            address,
            subject: wrap(render(rules.emailSubject, values)),
            body: render(rules.emailBody, values),
          }
        : { channel, address, subject: null, body: wrap(render(rules.smsText, values)) };
    });
  const first = nextAllowedMoment(m.publishedAt, window);
  const orders: PlannedOrder[] = [
    {
      kind: rules.kind === NotificationKind.SERVICEMELDING ? 'SERVICE_MESSAGE' : 'NOTICE',
      plannedAt: first.at,
      deferrals: first.deferrals,
      notifications: notifications(false),
      cancelled,
    },
  ];
  if (rules.kind === NotificationKind.VARSEL && rules.reminder) {
    const later = nextAllowedMoment(daysLater(m.publishedAt, rules.reminderDelayDays), window);
    orders.push({
      kind: 'REMINDER',
      plannedAt: later.at,
      deferrals: later.deferrals,
      notifications: notifications(true),
      cancelled,
    });
  }
  return orders;
}
