import { Entity, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { NoticeClassification } from '../../domain/classification.js';

/** Where a mass sending is: resolving its recipients, sending, or done. */
export enum MassSendingStatus {
  RESOLVING = 'RESOLVING',
  SENDING = 'SENDING',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
}

registerEnumType(MassSendingStatus, {
  name: 'MassSendingStatus',
  valuesConfig: {
    RESOLVING: { description: 'Finding the recipients in Enhetsregisteret.' },
    SENDING: { description: 'Sending, a batch at a time (total is final).' },
    COMPLETED: { description: 'Every recipient has its message or a failure.' },
    FAILED: { description: 'Stopped (see error); what was sent stays.' },
  },
});

/** One request to send the same message to many enheter, worked off as a job (services/massSender.ts). */
@Entity({ tableName: 'mass_sending' })
@ObjectType({
  description:
    'A mass sending (sendMessages): one message to each of many enheter, sent as a job; poll it ' +
    'with massSending(id) for its progress.',
})
export class MassSending {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  @Field(() => ID)
  id!: string;

  @Property({ type: 'character(9)' })
  technicalSenderOrgnr!: string;

  @Property({ type: 'character(9)' })
  senderOrgnr!: string;

  @Property({ type: 'text' })
  @Field(() => String, {
    description: 'Your reference; each message gets it with "/<organisasjonsnummer>" after it.',
  })
  sendersReference!: string;

  @Property({ type: 'text' })
  @Field(() => NoticeClassification)
  classification!: NoticeClassification;

  /** The message sent to each (validated input less recipient, reference and attachments). */
  @Property({ type: 'json' })
  message!: Record<string, unknown>;

  @Property({ type: 'text[]', nullable: true })
  recipients?: string[] | null;

  @Property({ type: 'json', nullable: true })
  filter?: Record<string, unknown> | null;

  @Property({ type: 'text' })
  @Field(() => MassSendingStatus)
  status!: MassSendingStatus;

  @Property({ type: 'text', nullable: true })
  resolveCursor?: string | null;

  @Property({ type: 'integer' })
  @Field(() => Int, { description: 'Recipients found so far (final from SENDING on).' })
  total!: number;

  @Property({ type: 'integer' })
  @Field(() => Int, { description: 'Recipients whose message is stored.' })
  sent!: number;

  @Property({ type: 'integer' })
  @Field(() => Int, { description: 'Recipients that got no message (see failures).' })
  failed!: number;

  @Field(() => Int, { description: 'Recipients found and not yet handled.' })
  get pending(): number {
    return this.total - this.sent - this.failed;
  }

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true, description: 'Why the sending stopped (FAILED).' })
  error?: string | null;

  @Property({ type: 'text' })
  createdBy!: string;

  @Property({ type: 'timestamptz' })
  @Field(() => Date)
  createdAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true })
  completedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  steppedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  leaseOwner?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  leaseUntil?: Date | null;
}

@ObjectType({ description: 'A recipient of a mass sending that got no message.' })
export class MassSendingFailure {
  @Field(() => String) organisasjonsnummer!: string;
  @Field(() => String, { description: 'An error code, e.g. RECIPIENT_NOT_FOUND.' }) code!: string;
  @Field(() => String) message!: string;
}
