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
import {
  asReminder,
  INBOX_URL,
  namesForbiddenForConfidential,
  render,
  SERVICE_DESCRIPTIONS,
  smsOverLength,
} from './templates.js';
import type { NoticeClassification } from '../../domain/classification.js';

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
  /** How it departs from the policy, when it does (a mandatory notice on another channel). */
  deviation: string | null;
  /** A mandatory notice that cannot be sent (the enhet has no address at all): to be alerted. */
  alert: boolean;
}

export const windowOf = (p: PolicyRules): SendingWindow => ({
  days: p.windowDays,
  start: p.windowStart.slice(0, 5),
  end: p.windowEnd.slice(0, 5),
  skipHolidays: p.skipHolidays,
});

/** The sender's classification of a message (NoticeClassification's values); null: not given. */
export type Classification = `${NoticeClassification}`;

const asKind = (rules: PolicyRules, kind: NotificationKind): PolicyRules =>
  rules.kind === kind ? rules : { ...rules, kind };

/**
 * The rules in effect. Confidential post always gets a varsel, whatever the policy or the sender
 * says. Otherwise the sender's classification decides the kind, and the policy (or, with none, the
 * built-in defaults) the channel, window, templates and reminder: VARSLINGSPLIKT is always a
 * varsel, even under a policy of kind NONE; SERVICEMELDING is a servicemelding unless a policy of
 * kind NONE says this scope sends nothing voluntary; NONE sends nothing. Without a classification
 * the policy's kind decides, as before.
 */
export function effectiveRules(
  policy: PolicyRules | null,
  serviceCode: string,
  classification: Classification | null = null,
): PolicyRules | null {
  if (serviceCode === CONFIDENTIAL || classification === 'VARSLINGSPLIKT') {
    return asKind(policy ?? FALLBACK_RULES, NotificationKind.VARSEL);
  }
  if (classification === 'NONE') return null;
  if (classification === 'SERVICEMELDING') {
    if (policy?.kind === NotificationKind.NONE) return null;
    return asKind(policy ?? FALLBACK_RULES, NotificationKind.SERVICEMELDING);
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

/**
 * Where a notice goes. A varsel is mandatory: when the policy's channel finds no address, it goes
 * to every address there is (e-mail first), recorded as a deviation; only an enhet with no
 * address at all cancels it, and that is an alert. A servicemelding is cancelled instead.
 */
export function noticeTargets(
  rules: PolicyRules,
  addresses: Addresses,
): {
  targets: Array<{ channel: 'EMAIL' | 'SMS'; address: string }>;
  cancelled: string | null;
  deviation: string | null;
  alert: boolean;
} {
  const targets = pickAddresses(rules.channel, addresses);
  if (targets.length) return { targets, cancelled: null, deviation: null, alert: false };
  if (rules.kind !== NotificationKind.VARSEL) {
    return {
      targets,
      cancelled: 'the enhet has no varslingsadresse for this channel',
      deviation: null,
      alert: false,
    };
  }
  const any = pickAddresses(NotificationChannel.EMAIL_PREFERRED, addresses);
  if (any.length === 0) {
    return {
      targets,
      cancelled: 'the enhet has no varslingsadresse at all: a mandatory notice could not be sent',
      deviation: null,
      alert: true,
    };
  }
  const used = any[0]!.channel === 'EMAIL' ? 'e-mail' : 'SMS';
  return {
    targets: any,
    cancelled: null,
    deviation:
      `the policy's channel ${rules.channel} finds no varslingsadresse; a varsel is mandatory, ` +
      `so it went by ${used}`,
    alert: false,
  };
}

/**
 * The notice (or service message) and the reminder a message gets under `rules`. The reminder is
 * planned `reminderDelayDays` after the notice's own moment (after any deferral), not after
 * publication; the dispatcher moves it on if the notice goes out later still.
 */
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
  const deviations: string[] = [];
  // Confidential post's notice may not name its title; a policy from before that rule (or one
  // previewed) falls back to the standard texts.
  let texts: Pick<PolicyRules, 'emailSubject' | 'emailBody' | 'smsText'> = rules;
  if (m.serviceCode === CONFIDENTIAL && namesForbiddenForConfidential(rules)) {
    texts = DEFAULT_TEMPLATES;
    deviations.push(
      "the policy's texts name {tittel}, which confidential post may not: the standard texts were used",
    );
  }
  const enhet = noticeTargets(rules, addresses);
  if (enhet.deviation) deviations.push(enhet.deviation);
  // Persons' own addresses beside the enhet's, each address once.
  const seen = new Set<string>();
  const targets = [...enhet.targets, ...extra].filter((t) => {
    const key = `${t.channel} ${t.address}`;
    return !seen.has(key) && !!seen.add(key);
  });
  const cancelled = targets.length
    ? null
    : (enhet.cancelled ?? 'the enhet has no varslingsadresse for this channel');
  // Silence is the alert: a mandatory notice that reaches a person has reached someone.
  const alert = enhet.alert && targets.length === 0;
  const notifications = (reminder: boolean): PlannedNotification[] =>
    targets.map(({ channel, address }) => {
      const wrap = (s: string) => (reminder ? asReminder(s) : s);
      if (channel === 'EMAIL') {
        return {
          channel,
          address,
          subject: wrap(render(texts.emailSubject, values)),
          body: render(texts.emailBody, values),
        };
      }
      const body = wrap(render(texts.smsText, values));
      const over = smsOverLength(body);
      if (over && !deviations.includes(over)) deviations.push(over);
      return { channel, address, subject: null, body };
    });
  const first = nextAllowedMoment(m.publishedAt, window);
  const notice = notifications(false);
  const orders: PlannedOrder[] = [
    {
      kind: rules.kind === NotificationKind.SERVICEMELDING ? 'SERVICE_MESSAGE' : 'NOTICE',
      plannedAt: first.at,
      deferrals: first.deferrals,
      notifications: notice,
      cancelled,
      deviation: deviations.length ? deviations.join('; ') : null,
      alert,
    },
  ];
  if (rules.kind === NotificationKind.VARSEL && rules.reminder) {
    const later = nextAllowedMoment(daysLater(first.at, rules.reminderDelayDays), window);
    const reminder = notifications(true);
    orders.push({
      kind: 'REMINDER',
      plannedAt: later.at,
      deferrals: later.deferrals,
      notifications: reminder,
      cancelled,
      deviation: deviations.length ? deviations.join('; ') : null,
      alert: false,
    });
  }
  return orders;
}

/** When a reminder goes, given the moment its notice actually went out. */
export function reminderAfter(sentAt: Date, delayDays: number, window: SendingWindow) {
  return nextAllowedMoment(daysLater(sentAt, delayDays), window);
}
