import { Field, InputType, Int } from 'type-graphql';
import { orgnrProblem } from '../../domain/orgnr.js';
import { ClientError, ErrorCode } from '../../../platform/graphql/errors.js';
import { capItems, capLength } from '../../../platform/graphql/inputLimits.js';
import { preview } from '../../../platform/graphql/preview.js';
import { NotificationChannel, NotificationKind } from '../entities/NotificationPolicy.js';
import { DEFAULT_WINDOW, windowProblem } from './calendar.js';
import { SERVICE_DESCRIPTIONS, SMS_MAX_LENGTH, templateProblems } from './templates.js';

/** Confidential post (taushetsbelagt post), as in plan.ts. */
const CONFIDENTIAL_SERVICE = '5504/1';

/**
 * Caps on what a policy may hold, checked (BAD_USER_INPUT) before the varslingsstrategi's rules
 * (INVALID_POLICY): the columns have none. A subject is one line; a body as long as a message's;
 * an SMS template never longer than the SMS it makes; a week has seven days.
 */
export const POLICY_CAPS = {
  doubleNoticeReason: 500,
  emailSubject: 255,
  emailBody: 10_000,
  smsText: SMS_MAX_LENGTH,
  windowDays: 7,
} as const;

@InputType({ description: 'Sending window in Europe/Oslo time.' })
export class WindowInput {
  @Field(() => [Int], {
    description: `ISO weekdays, 1 = Monday … 7 = Sunday; at most ${POLICY_CAPS.windowDays}.`,
  })
  days!: number[];
  @Field(() => String, { description: 'HH:MM' }) start!: string;
  @Field(() => String, { description: 'HH:MM, exclusive.' }) end!: string;
  @Field(() => Boolean) skipHolidays!: boolean;
}

@InputType({
  description:
    'A notification policy. Left out: working days 08:00–16:00 without holidays, a reminder ' +
    'after 7 days if unread, the standard templates.',
})
export class PolicyInput {
  @Field(() => String, { description: '1 to 200 characters.' }) name!: string;
  @Field(() => String, { nullable: true }) senderOrgnr?: string | null;
  @Field(() => String, { nullable: true, description: 'e.g. "4255/8"' }) serviceCode?:
    string | null;
  @Field(() => NotificationKind) kind!: NotificationKind;
  @Field(() => NotificationChannel) channel!: NotificationChannel;
  @Field(() => String, {
    nullable: true,
    description: `Required for EMAIL_AND_SMS; at most ${POLICY_CAPS.doubleNoticeReason} characters.`,
  })
  doubleNoticeReason?: string | null;
  @Field(() => WindowInput, { nullable: true }) window?: WindowInput | null;
  @Field(() => Boolean, { nullable: true }) reminder?: boolean | null;
  @Field(() => Int, { nullable: true }) reminderDelayDays?: number | null;
  @Field(() => String, {
    nullable: true,
    description: `At most ${POLICY_CAPS.emailSubject} characters.`,
  })
  emailSubject?: string | null;
  @Field(() => String, {
    nullable: true,
    description: `At most ${POLICY_CAPS.emailBody} characters.`,
  })
  emailBody?: string | null;
  @Field(() => String, {
    nullable: true,
    description:
      `At most ${POLICY_CAPS.smsText} characters as written, and no longer as a reminder ` +
      'with every placeholder at its longest.',
  })
  smsText?: string | null;
  @Field(() => Int, { nullable: true }) throttlePerDay?: number | null;
  @Field(() => Date, { nullable: true }) activeFrom?: Date | null;
  @Field(() => Date, { nullable: true }) activeTo?: Date | null;
}

export const DEFAULT_TEMPLATES = {
  emailSubject: 'Ny melding fra {avsender} til {mottakerNavn} ({mottakerOrgnr})',
  emailBody:
    '{mottakerNavn} ({mottakerOrgnr}) har fått en melding fra {avsender} om {tjeneste}. ' +
    'Les den i innboksen i Altinn: {lenke}',
  smsText:
    '{mottakerNavn} ({mottakerOrgnr}) har fått melding fra {avsender} om {tjeneste}. Se {lenke}',
};

/** A policy as stored, every default filled in. */
export interface PolicyValues {
  name: string;
  senderOrgnr: string | null;
  serviceCode: string | null;
  kind: NotificationKind;
  channel: NotificationChannel;
  doubleNoticeReason: string | null;
  windowDays: number[];
  windowStart: string;
  windowEnd: string;
  skipHolidays: boolean;
  reminder: boolean;
  reminderDelayDays: number;
  emailSubject: string;
  emailBody: string;
  smsText: string;
  throttlePerDay: number | null;
  activeFrom: Date | null;
  activeTo: Date | null;
}

function invalid(field: string, message: string): ClientError {
  return new ClientError(ErrorCode.INVALID_POLICY, message, { field });
}

/** Checks a policy against the varslingsstrategi; throws INVALID_POLICY naming the field. */
export function validatePolicy(input: PolicyInput): PolicyValues {
  checkCaps(input);
  const name = input.name.trim();
  if (name === '' || name.length > 200) throw invalid('name', 'name must be 1 to 200 characters.');
  if (input.senderOrgnr && orgnrProblem(input.senderOrgnr)) {
    throw invalid('senderOrgnr', `${preview(input.senderOrgnr)} is not an organisation number.`);
  }
  if (input.serviceCode && !(input.serviceCode in SERVICE_DESCRIPTIONS)) {
    throw invalid('serviceCode', `${preview(input.serviceCode)} is not a DPV service code.`);
  }
  const reason = input.doubleNoticeReason?.trim() || null;
  if (input.channel === NotificationChannel.EMAIL_AND_SMS && !reason) {
    throw invalid(
      'doubleNoticeReason',
      'EMAIL_AND_SMS notifies twice, which the varslingsstrategi says to avoid: state why.',
    );
  }
  const window = input.window ?? DEFAULT_WINDOW;
  const windowIssue = windowProblem(window);
  if (windowIssue) throw invalid('window', windowIssue);
  const reminderDelayDays = input.reminderDelayDays ?? 7;
  if (!Number.isInteger(reminderDelayDays) || reminderDelayDays < 1 || reminderDelayDays > 60) {
    throw invalid('reminderDelayDays', 'reminderDelayDays must be 1 to 60.');
  }
  if (input.throttlePerDay != null && input.throttlePerDay < 1) {
    throw invalid('throttlePerDay', 'throttlePerDay must be at least 1.');
  }
  if (input.activeFrom && input.activeTo && input.activeFrom >= input.activeTo) {
    throw invalid('activeTo', 'activeTo must be after activeFrom.');
  }
  const templates = {
    emailSubject: input.emailSubject ?? DEFAULT_TEMPLATES.emailSubject,
    emailBody: input.emailBody ?? DEFAULT_TEMPLATES.emailBody,
    smsText: input.smsText ?? DEFAULT_TEMPLATES.smsText,
  };
  // A policy without a service code applies to confidential post too (when none narrower does).
  const confidential = !input.serviceCode || input.serviceCode === CONFIDENTIAL_SERVICE;
  const [problem] = templateProblems(templates, confidential);
  if (problem) throw invalid(problem.field, problem.problem);
  return {
    name,
    senderOrgnr: input.senderOrgnr || null,
    serviceCode: input.serviceCode || null,
    kind: input.kind,
    channel: input.channel,
    doubleNoticeReason: reason,
    windowDays: [...new Set(window.days)].sort(),
    windowStart: window.start,
    windowEnd: window.end,
    skipHolidays: window.skipHolidays,
    reminder: input.reminder ?? true,
    reminderDelayDays,
    ...templates,
    throttlePerDay: input.throttlePerDay ?? null,
    activeFrom: input.activeFrom ?? null,
    activeTo: input.activeTo ?? null,
  };
}

function checkCaps(input: PolicyInput): void {
  for (const field of ['doubleNoticeReason', 'emailSubject', 'emailBody', 'smsText'] as const) {
    capLength({ field }, input[field], POLICY_CAPS[field]);
  }
  capItems({ field: 'window.days' }, input.window?.days, POLICY_CAPS.windowDays);
}
