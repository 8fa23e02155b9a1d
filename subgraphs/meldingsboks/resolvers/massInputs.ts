import { Field, InputType, Int } from 'type-graphql';
import { NoticeClassification } from '../../domain/classification.js';
import { LIMITS } from '../domain/limits.js';
import type { SelectionFilter } from '../domain/massSelection.js';
import { Language, DpvService } from '../domain/services.js';
import { ExternalReferenceInput, PropertyInput, ReplyOptionInput } from './inputs.js';

/** At most this many enheter named one by one in a mass sending. */
export const MAX_LISTED_RECIPIENTS = 10_000;
/** At most this many organisasjonsformer in a filter (brreg has some 45). */
export const MAX_FORMS = 50;

@InputType({
  description:
    "Which enheter a mass sending goes to: Enhetsregisteret's EnhetFilter fields that select " +
    'by place, trade, form and size; every filter given must match; deleted enheter never.',
})
export class RecipientFilter implements SelectionFilter {
  @Field(() => String, { nullable: true }) kommunenummer?: string | null;
  @Field(() => String, { nullable: true }) postnummer?: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'Also matches the codes under it ("62" finds 62.010).',
  })
  naeringskode?: string | null;
  @Field(() => [String], { nullable: true, description: `At most ${MAX_FORMS}.` })
  organisasjonsform?: string[] | null;
  @Field(() => Int, { nullable: true }) fraAntallAnsatte?: number | null;
  @Field(() => Int, { nullable: true }) tilAntallAnsatte?: number | null;
  @Field(() => Boolean, { nullable: true }) konkurs?: boolean | null;
  @Field(() => Boolean, { nullable: true }) underAvvikling?: boolean | null;
  @Field(() => Boolean, { nullable: true }) registrertIMvaregisteret?: boolean | null;
}

@InputType({
  description:
    'One message to many enheter: give recipients or filter (exactly one). Each recipient gets ' +
    'a message of its own, as sendMessage would send it (no attachments).',
})
export class SendMessagesInput {
  @Field(() => [String], {
    nullable: true,
    description: `Organisasjonsnumre, at most ${MAX_LISTED_RECIPIENTS}; repeats count once.`,
  })
  recipients?: string[] | null;

  @Field(() => RecipientFilter, { nullable: true })
  filter?: RecipientFilter | null;

  @Field(() => NoticeClassification, {
    description:
      'SERVICEMELDING needs a limited selection (SELECTION_TOO_WIDE otherwise); a varsel may go wide.',
  })
  classification!: NoticeClassification;

  @Field(() => String, { nullable: true, description: 'As in SendMessageInput.' })
  onBehalfOf?: string | null;

  @Field(() => DpvService) service!: DpvService;

  @Field(() => String, {
    description:
      'Your reference for the sending (≤ 4 000); sending it again returns the first sending.',
  })
  sendersReference!: string;

  @Field(() => String, { nullable: true }) messageSender?: string | null;
  @Field(() => Language, { nullable: true }) language?: Language | null;
  @Field(() => String, { description: `At most ${LIMITS.title}.` }) title!: string;
  @Field(() => String, { nullable: true }) summary?: string | null;
  @Field(() => String, { description: `Markdown, at most ${LIMITS.body} characters.` })
  body!: string;
  @Field(() => [ExternalReferenceInput], { defaultValue: [] })
  externalReferences!: ExternalReferenceInput[];
  @Field(() => [PropertyInput], { defaultValue: [] }) propertyList!: PropertyInput[];
  @Field(() => [ReplyOptionInput], { defaultValue: [] }) replyOptions!: ReplyOptionInput[];
  @Field(() => Date, { nullable: true }) dueDateTime?: Date | null;
  @Field(() => Boolean, { defaultValue: false }) isConfirmationNeeded!: boolean;
  @Field(() => Date, { nullable: true }) requestedPublishTime?: Date | null;
}
