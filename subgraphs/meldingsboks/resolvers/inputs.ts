import { Field, Float, InputType } from 'type-graphql';
import { LIMITS } from '../domain/limits.js';
import { NoticeClassification } from '../../domain/classification.js';
import { Language, DpvService } from '../domain/services.js';
import { ExternalReferenceType } from '../entities/parts.js';

@InputType({
  description: 'An attachment: its content (base64), or only its metadata when stored elsewhere.',
})
export class AttachmentInput {
  @Field(() => String, { description: `At most ${LIMITS.attachmentName} characters.` })
  name!: string;
  @Field(() => String, {
    description: `MIME type, e.g. application/pdf; at most ${LIMITS.contentType} characters.`,
  })
  contentType!: string;
  @Field(() => String, { nullable: true, description: 'The content, base64.' })
  contentBase64?: string | null;
  @Field(() => Float, { nullable: true, description: 'Size in bytes (required without content).' })
  size?: number | null;
  @Field(() => String, {
    nullable: true,
    description: 'SHA-256, hex (required without content; checked against the content if both).',
  })
  sha256?: string | null;
}

@InputType()
export class ExternalReferenceInput {
  @Field(() => ExternalReferenceType) referenceType!: ExternalReferenceType;
  @Field(() => String, { description: `At most ${LIMITS.referenceValue} characters.` })
  referenceValue!: string;
}

@InputType()
export class PropertyInput {
  @Field(() => String, { description: `At most ${LIMITS.propertyKey} characters.` }) key!: string;
  @Field(() => String, { description: `At most ${LIMITS.propertyValue} characters.` })
  value!: string;
}

@InputType()
export class ReplyOptionInput {
  @Field(() => String, { description: `An https URL, at most ${LIMITS.linkUrl} characters.` })
  linkUrl!: string;
  @Field(() => String, { nullable: true, description: `At most ${LIMITS.linkText} characters.` })
  linkText?: string | null;
}

@InputType({ description: 'A message to send (Altinn 3 correspondence, DPV).' })
export class SendMessageInput {
  @Field(() => String, { description: 'Organisasjonsnummer of the recipient enhet.' })
  recipient!: string;

  @Field(() => String, {
    nullable: true,
    description:
      'The approved public body the message is really from, when the caller sends for it.',
  })
  onBehalfOf?: string | null;

  @Field(() => DpvService) service!: DpvService;

  @Field(() => String, {
    description: `Your reference (≤ ${LIMITS.sendersReference}); sending the same one again returns the first message.`,
  })
  sendersReference!: string;

  @Field(() => String, {
    nullable: true,
    description: `Display name of the sender (≤ ${LIMITS.messageSender}).`,
  })
  messageSender?: string | null;

  @Field(() => Language, { nullable: true, description: 'Bokmål when not given.' })
  language?: Language | null;

  @Field(() => String, {
    description: `At most ${LIMITS.title}; name the enhet and the service, nothing sensitive.`,
  })
  title!: string;

  @Field(() => String, { nullable: true, description: `At most ${LIMITS.summary}.` })
  summary?: string | null;

  @Field(() => String, { description: `Markdown, at most ${LIMITS.body} characters.` })
  body!: string;

  @Field(() => [AttachmentInput], {
    defaultValue: [],
    description: `At most ${LIMITS.attachments}.`,
  })
  attachments!: AttachmentInput[];

  @Field(() => [ExternalReferenceInput], {
    defaultValue: [],
    description: `At most ${LIMITS.externalReferences}.`,
  })
  externalReferences!: ExternalReferenceInput[];

  @Field(() => [PropertyInput], {
    defaultValue: [],
    description: `At most ${LIMITS.properties} keys.`,
  })
  propertyList!: PropertyInput[];

  @Field(() => [ReplyOptionInput], {
    defaultValue: [],
    description: `At most ${LIMITS.replyOptions}.`,
  })
  replyOptions!: ReplyOptionInput[];

  @Field(() => Date, { nullable: true, description: 'Must be after the publish time.' })
  dueDateTime?: Date | null;

  @Field(() => Boolean, { defaultValue: false }) isConfirmationNeeded!: boolean;

  @Field(() => Date, {
    nullable: true,
    description: 'Publish no earlier than this (the message is published at max(this, now)).',
  })
  requestedPublishTime?: Date | null;

  @Field(() => NoticeClassification, {
    nullable: true,
    description:
      'Whether this message carries the duty to notify (VARSLINGSPLIKT: a varsel is owed and ' +
      'always sent), wishes a SERVICEMELDING, or gets NONE. Not given: the notification ' +
      'policies decide, as they do for a message without one. Policies decide channel, window, ' +
      'templates and reminders either way; confidential post (5504/1) is always notified.',
  })
  classification?: NoticeClassification | null;
}
