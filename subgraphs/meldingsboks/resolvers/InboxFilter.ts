import { Field, InputType } from 'type-graphql';
import { MessageStatus } from '../domain/lifecycle.js';
import { DpvService } from '../domain/services.js';

@InputType({ description: 'Narrows an inbox page; all given conditions must hold.' })
export class InboxFilter {
  @Field(() => [MessageStatus], { nullable: true, description: 'Current status is one of these.' })
  statuses?: MessageStatus[] | null;

  @Field(() => [DpvService], { nullable: true })
  services?: DpvService[] | null;

  @Field(() => [String], { nullable: true, description: 'Sent by one of these organisations.' })
  senders?: string[] | null;

  @Field(() => Boolean, { nullable: true, description: 'Only messages not yet read.' })
  unreadOnly?: boolean | null;

  @Field(() => Date, { nullable: true, description: 'Published at or after.' })
  publishedFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Published before.' })
  publishedBefore?: Date | null;

  @Field(() => String, { nullable: true, description: 'Text in the title (case-insensitive).' })
  titleContains?: string | null;
}
