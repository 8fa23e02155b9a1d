import { BigIntType, Entity, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { NoticeClassification } from '../../domain/classification.js';
import { MessageStatus } from '../domain/lifecycle.js';
import { DpvService, Language } from '../domain/services.js';
import type { GuidelineWarning } from '../domain/titleGuidelines.js';
import { ExternalReference, MessageProperty, ReplyOption } from './parts.js';

@Entity({ tableName: 'message' })
@ObjectType({
  description: 'Melding (Altinn correspondence): a message from a public body to an enhet.',
})
@Directive('@key(fields: "id")')
export class Message {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  @Field(() => ID)
  id!: string;

  /** Mottaker: organisasjonsnummer of the recipient enhet. */
  @Property({ type: 'character(9)' })
  recipientOrgnr!: string;

  /** Avsender: the public body the message is from (onBehalfOf, or the caller's organisation). */
  @Property({ type: 'character(9)' })
  senderOrgnr!: string;

  /** The approved sender that called sendMessage (a data processor may send for another body). */
  @Property({ type: 'character(9)' })
  technicalSenderOrgnr!: string;

  @Property({ type: 'text' })
  @Field(() => String, {
    description: "The sender's own reference (forsendelsesreferanse); sending it again is a no-op.",
  })
  sendersReference!: string;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true, description: "The sender's display name (≤ 256)." })
  messageSender?: string | null;

  @Property({ type: 'text' })
  @Field(() => String, {
    description:
      'DPV service code and edition (tjenestekode/utgave), e.g. "4255/8" for skatter og avgifter.',
  })
  serviceCode!: string;

  @Field(() => DpvService, { description: 'The DPV service the message belongs to.' })
  get service(): DpvService {
    return this.serviceCode as DpvService;
  }

  /** Confidential post (5504/1). */
  @Property({ type: 'boolean' })
  confidential!: boolean;

  @Property({ type: 'text' })
  @Field(() => Language)
  language!: Language;

  @Property({ type: 'text' })
  @Field(() => String, {
    description: 'Tittel: names the enhet and the service; nothing sensitive.',
  })
  title!: string;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true, description: 'Sammendrag: a short summary.' })
  summary?: string | null;

  @Property({ type: 'text' })
  @Field(() => String, { description: 'The message body, in markdown.' })
  body!: string;

  @Property({ type: 'json' })
  @Field(() => [ExternalReference])
  externalReferences!: ExternalReference[];

  @Property({ type: 'json' })
  @Field(() => [MessageProperty], { description: "The sender's key/value properties." })
  propertyList!: MessageProperty[];

  @Property({ type: 'json' })
  @Field(() => [ReplyOption], { description: 'Where the recipient can reply (links).' })
  replyOptions!: ReplyOption[];

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true, description: 'Frist: when an answer or action is due.' })
  dueDateTime?: Date | null;

  @Property({ type: 'boolean' })
  @Field(() => Boolean, { description: 'The recipient must confirm before archiving.' })
  isConfirmationNeeded!: boolean;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true })
  requestedPublishTime?: Date | null;

  /** max(requestedPublishTime, created). */
  @Property({ type: 'timestamptz' })
  publishAt!: Date;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  @Field(() => Date)
  createdAt!: Date;

  @Property({ type: 'text' })
  @Field(() => MessageStatus, { description: 'Current status (Fetched does not count).' })
  status!: MessageStatus;

  @Property({ type: 'timestamptz' })
  @Field(() => Date)
  statusChangedAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true })
  publishedAt?: Date | null;

  /** Order of publishing; the inbox cursor. */
  @Property({ type: new BigIntType('string'), nullable: true })
  publishSeq?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  fetchedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true, description: 'When the recipient first read it.' })
  readAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true })
  confirmedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  @Field(() => NoticeClassification, {
    nullable: true,
    description: "The sender's classification for notices; null when the policies decided.",
  })
  classification?: NoticeClassification | null;
  /** Title guideline warnings from send time (a field for the sender, MessageResolver). */
  @Property({ type: 'json' })
  guidelineWarnings!: GuidelineWarning[];

  @Field(() => Boolean, { description: 'Not yet read by the recipient.' })
  get unread(): boolean {
    return !this.readAt;
  }
}
