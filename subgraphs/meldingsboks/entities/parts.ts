import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { GuidelineWarningCode } from '../domain/titleGuidelines.js';

/** Kinds of external reference, as Altinn 3 correspondence has them. */
export enum ExternalReferenceType {
  ALTINN_APP_INSTANCE = 'AltinnAppInstance',
  ALTINN_BROKER_FILE_TRANSFER = 'AltinnBrokerFileTransfer',
  DIALOGPORTEN_DIALOG_ID = 'DialogportenDialogId',
  DIALOGPORTEN_PROCESS_ID = 'DialogportenProcessId',
  GENERIC = 'Generic',
}
registerEnumType(ExternalReferenceType, { name: 'ExternalReferenceType' });

@ObjectType({ description: 'A reference to something outside the message (a case, a dialog).' })
export class ExternalReference {
  @Field(() => ExternalReferenceType) referenceType!: ExternalReferenceType;
  @Field(() => String) referenceValue!: string;
}

@ObjectType({ description: 'One key/value of the message property list.' })
export class MessageProperty {
  @Field(() => String) key!: string;
  @Field(() => String) value!: string;
}

@ObjectType({ description: 'A way to reply: a link and its text.' })
export class ReplyOption {
  @Field(() => String) linkUrl!: string;
  @Field(() => String, { nullable: true }) linkText?: string | null;
}

@ObjectType({ description: 'A guideline the message broke when it was sent; it was sent anyway.' })
export class GuidelineWarning {
  @Field(() => GuidelineWarningCode) code!: GuidelineWarningCode;
  @Field(() => String) message!: string;
}
