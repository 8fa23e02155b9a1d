import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';

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
    EMAIL_AND_SMS: { description: 'Both (double notice; the varslingsstrategi says avoid it).' },
  },
});

@Entity({ tableName: 'notification_policy' })
@ObjectType({
  description:
    'Varslingspolicy: who is notified of a new message, and how. Scoped to a sender, a service ' +
    'code, both, or neither (the default); the most specific one applies.',
})
export class NotificationPolicy {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  @Field(() => ID)
  id!: string;

  @Property({ type: 'text' })
  @Field(() => String)
  name!: string;

  @Enum({ items: () => NotificationChannel, nativeEnumName: 'notification_channel' })
  @Field(() => NotificationChannel)
  channel!: NotificationChannel;

  /** Scope: messages from this sender only; null for any sender. */
  @Property({ type: 'character(9)', nullable: true })
  senderOrgnr!: string | null;

  /** Scope: messages of this service code only; null for any service. */
  @Property({ type: 'text', nullable: true })
  serviceCode!: string | null;
}
