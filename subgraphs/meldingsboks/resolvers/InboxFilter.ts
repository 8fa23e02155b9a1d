import { Field, InputType } from 'type-graphql';
import { capItems, capLength } from '../../../platform/graphql/inputLimits.js';
import { MessageStatus } from '../domain/lifecycle.js';
import { DpvService } from '../domain/services.js';
import { LIMITS } from '../domain/limits.js';

/**
 * Caps on a filter: a list of enum values needs no more entries than the enum has; a hundred
 * senders is more than any one inbox hears from; no title is longer than a title may be.
 */
export const INBOX_FILTER_CAPS = {
  statuses: Object.keys(MessageStatus).length,
  services: Object.keys(DpvService).length,
  senders: 100,
  titleContains: LIMITS.title,
} as const;

@InputType({ description: 'Narrows an inbox page; all given conditions must hold.' })
export class InboxFilter {
  @Field(() => [MessageStatus], {
    nullable: true,
    description: `Current status is one of these (at most ${INBOX_FILTER_CAPS.statuses}).`,
  })
  statuses?: MessageStatus[] | null;

  @Field(() => [DpvService], {
    nullable: true,
    description: `At most ${INBOX_FILTER_CAPS.services}.`,
  })
  services?: DpvService[] | null;

  @Field(() => [String], {
    nullable: true,
    description: `Sent by one of these organisations (at most ${INBOX_FILTER_CAPS.senders}).`,
  })
  senders?: string[] | null;

  @Field(() => Boolean, { nullable: true, description: 'Only messages not yet read.' })
  unreadOnly?: boolean | null;

  @Field(() => Date, { nullable: true, description: 'Published at or after.' })
  publishedFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Published before.' })
  publishedBefore?: Date | null;

  @Field(() => String, {
    nullable: true,
    description: `Text in the title (case-insensitive), at most ${INBOX_FILTER_CAPS.titleContains} characters.`,
  })
  titleContains?: string | null;
}

/** Throws BAD_USER_INPUT when a filter exceeds a cap (before any SQL). */
export function checkInboxFilterCaps(f: InboxFilter): void {
  capItems({ field: 'filter.statuses' }, f.statuses, INBOX_FILTER_CAPS.statuses);
  capItems({ field: 'filter.services' }, f.services, INBOX_FILTER_CAPS.services);
  capItems({ field: 'filter.senders' }, f.senders, INBOX_FILTER_CAPS.senders);
  capLength({ field: 'filter.titleContains' }, f.titleContains, INBOX_FILTER_CAPS.titleContains);
}
