import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum NotificationChannel {
  EMAIL = 'EMAIL',
  SMS = 'SMS',
  EMAIL_PREFERRED = 'EMAIL_PREFERRED',
  SMS_PREFERRED = 'SMS_PREFERRED',
  EMAIL_AND_SMS = 'EMAIL_AND_SMS',
}

registerEnumType(NotificationChannel, {
  name: 'NotificationChannel',
  description: 'Varslingskanal: how a notice reaches the recipient.',
  valuesConfig: {
    EMAIL: { description: 'E-post only.' },
    SMS: { description: 'SMS only.' },
    EMAIL_PREFERRED: { description: 'E-post; SMS when the enhet has no e-mail address.' },
    SMS_PREFERRED: { description: 'SMS; e-post when the enhet has no mobile number.' },
    EMAIL_AND_SMS: {
      description: 'Both (double notice; the varslingsstrategi says avoid it: needs a reason).',
    },
  },
});

export enum NotificationKind {
  VARSEL = 'VARSEL',
  SERVICEMELDING = 'SERVICEMELDING',
  NONE = 'NONE',
}

registerEnumType(NotificationKind, {
  name: 'NotificationKind',
  description: 'What a policy sends for a new message.',
  valuesConfig: {
    VARSEL: { description: 'Varsel: a mandatory notice (eForvaltningsforskriften §8).' },
    SERVICEMELDING: {
      description: 'Servicemelding: a voluntary message, used restrictively, throttled.',
    },
    NONE: { description: 'Nothing (confidential post is notified all the same).' },
  },
});

const text = () => ({ type: 'text' }) as const;

@Entity({ tableName: 'notification_policy' })
@ObjectType({
  description:
    'Varslingspolicy: who is notified of a new message, and how. Scoped to a sender, a service ' +
    'code, both, or neither (the default); the most specific one in force applies.',
})
export class NotificationPolicy {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  @Field(() => ID)
  id!: string;

  @Property(text())
  @Field(() => String)
  name!: string;

  @Enum({ items: () => NotificationChannel, nativeEnumName: 'notification_channel' })
  @Field(() => NotificationChannel)
  channel!: NotificationChannel;

  /** Scope: messages from this sender only; null for any sender. */
  @Property({ type: 'character(9)', nullable: true })
  @Field(() => String, { nullable: true, description: 'Scope: this sender only.' })
  senderOrgnr!: string | null;

  /** Scope: messages of this service code only; null for any service. */
  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true, description: 'Scope: this service code only.' })
  serviceCode!: string | null;

  @Enum({ items: () => NotificationKind, nativeEnumName: 'notification_kind' })
  @Field(() => NotificationKind)
  kind!: NotificationKind;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true, description: 'Why EMAIL_AND_SMS (double notice).' })
  doubleNoticeReason!: string | null;

  @Property({ type: 'smallint[]' })
  @Field(() => [Int], { description: 'Sending days, ISO (1 = Monday … 7 = Sunday).' })
  windowDays!: number[];

  @Property({ type: 'time' })
  windowStart!: string;

  @Property({ type: 'time' })
  windowEnd!: string;

  @Field(() => String, { name: 'windowStart', description: 'HH:MM, Europe/Oslo.' })
  get windowStartHhmm(): string {
    return this.windowStart.slice(0, 5);
  }

  @Field(() => String, { name: 'windowEnd', description: 'HH:MM, Europe/Oslo (exclusive).' })
  get windowEndHhmm(): string {
    return this.windowEnd.slice(0, 5);
  }

  @Property({ type: 'boolean' })
  @Field(() => Boolean, { description: 'No sending on public holidays and high days.' })
  skipHolidays!: boolean;

  @Property({ type: 'boolean' })
  @Field(() => Boolean, { description: 'Revarsel: remind once, only if still unread.' })
  reminder!: boolean;

  @Property({ type: 'integer' })
  @Field(() => Int)
  reminderDelayDays!: number;

  @Property(text())
  @Field(() => String)
  emailSubject!: string;

  @Property(text())
  @Field(() => String)
  emailBody!: string;

  @Property(text())
  @Field(() => String)
  smsText!: string;

  @Property({ type: 'integer', nullable: true })
  @Field(() => Int, {
    nullable: true,
    description: 'Service messages: at most this many per recipient per day.',
  })
  throttlePerDay!: number | null;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true })
  activeFrom!: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true })
  activeTo!: Date | null;

  @Property({ type: 'integer' })
  @Field(() => Int, {
    description: 'Grows with every change; name it to update (CONFLICT if stale).',
  })
  version!: number;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true })
  retiredAt!: Date | null;

  @Property({ type: 'timestamptz' })
  @Field(() => Date)
  changedAt!: Date;

  @Property(text())
  @Field(() => String)
  changedBy!: string;
}
