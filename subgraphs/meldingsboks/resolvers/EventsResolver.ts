import { Arg, Field, Int, ObjectType, Resolver, Root, Subscription } from 'type-graphql';
import { encodeCursor } from '../../../platform/graphql/connection.js';
import { viewAllows } from '../access.js';
import type { Context } from '../context.js';
import { MessageStatus, VISIBLE_TO_RECIPIENT } from '../domain/lifecycle.js';
import { Message } from '../entities/Message.js';
import { forbidden, openFeed, type FeedRows } from './feed.js';

@ObjectType({ description: 'A message published to an inbox, with the cursor to resume after it.' })
export class MessageEvent {
  @Field(() => String, { description: 'Pass as `after` to resume right after this event.' })
  cursor!: string;

  @Field(() => Message)
  message!: Message;
}

@ObjectType({
  description:
    'Something that changed in an open inbox: a message published to it, or the status of one ' +
    'already there (read, confirmed, archived or purged, by anyone), with the unread count after it.',
})
export class InboxChange {
  @Field(() => String, { description: 'Pass as `after` to resume right after this change.' })
  cursor!: string;

  @Field(() => String, { description: 'The message the change is about.' })
  messageId!: string;

  @Field(() => MessageStatus, {
    description: 'PUBLISHED for a new message, else the status the message reached.',
  })
  status!: MessageStatus;

  @Field(() => Message, {
    nullable: true,
    description: 'The message as it is after the change; null once the recipient purged it.',
  })
  message!: Message | null;

  @Field(() => Int, {
    description: "The inbox's unread messages (that you may see) after the change.",
  })
  unreadCount!: number;
}

@Resolver()
export class EventsResolver {
  @Subscription(() => MessageEvent, {
    description:
      'New messages in one inbox you can read. With `after` (a cursor from an earlier event) it ' +
      'first replays what you missed, then goes live: no gap, no duplicate. Losing access ends ' +
      'the subscription with FORBIDDEN before the next event.',
    subscribe: ({ args, context }) =>
      openFeed(
        context as Context,
        { recipient: args.recipient as string, after: args.after as string },
        (rows) => inboxMessages(args.recipient as string, rows, context as Context),
      ),
  })
  messagePublished(
    @Root() event: MessageEvent,
    @Arg('recipient', () => String) _recipient: string,
    @Arg('after', () => String, { nullable: true }) _after: string | null,
  ): MessageEvent {
    return event;
  }

  @Subscription(() => MessageEvent, {
    description:
      "New messages in every inbox whose grant to your organisation holds (an accounting firm's " +
      'clients), resumable with `after` like messagePublished. A revoked grant or an ended ' +
      'REGN/REVI role stops that inbox before its next event.',
    subscribe: ({ args, context }) =>
      openFeed(context as Context, { recipient: null, after: args.after as string }, (rows) =>
        clientMessages(rows, context as Context),
      ),
  })
  clientMessagePublished(
    @Root() event: MessageEvent,
    @Arg('after', () => String, { nullable: true }) _after: string | null,
  ): MessageEvent {
    return event;
  }

  @Subscription(() => InboxChange, {
    description:
      'Everything an open inbox needs to stay right without polling: new messages, status ' +
      'changes of messages already there (by a colleague or a firm) and the unread count, for ' +
      'what you may see of the inbox (as its `inbox` field shows it). Resumable with `after` ' +
      'like messagePublished; losing access ends it with FORBIDDEN.',
    subscribe: ({ args, context }) =>
      openFeed(
        context as Context,
        { recipient: args.recipient as string, after: args.after as string },
        (rows) => inboxChanges(args.recipient as string, rows, context as Context),
      ),
  })
  inboxChanged(
    @Root() change: InboxChange,
    @Arg('recipient', () => String) _recipient: string,
    @Arg('after', () => String, { nullable: true }) _after: string | null,
  ): InboxChange {
    return change;
  }
}

/** An inbox's new messages; the view is asked at every batch (cached until access changes). */
async function* inboxMessages(
  recipient: string,
  { batches, view }: FeedRows,
  ctx: Context,
): AsyncGenerator<MessageEvent> {
  const { feedLoads } = ctx.services;
  for await (const batch of batches) {
    await batch.rolesCaughtUp;
    for (const row of batch.rows) {
      if (row.kind === 'StatusChanged') continue;
      const seen = await view(recipient);
      if (!seen) throw forbidden(recipient);
      if (row.kind !== 'Published' || !viewAllows(seen, row.serviceCode)) continue;
      const message = await feedLoads.message(row.position, row.messageId);
      if (message) yield { cursor: encodeCursor([row.position]), message };
    }
  }
}

/** The new messages of every inbox that granted the firm access, as far as each grant holds. */
async function* clientMessages({ batches, view }: FeedRows, ctx: Context) {
  const { feedLoads } = ctx.services;
  const org = ctx.caller.org;
  for await (const batch of batches) {
    await batch.rolesCaughtUp;
    for (const row of batch.rows) {
      if (row.kind !== 'Published' || row.recipientOrgnr === org) continue;
      const seen = await view(row.recipientOrgnr);
      if (!seen || !viewAllows(seen, row.serviceCode)) continue;
      const message = await feedLoads.message(row.position, row.messageId);
      if (message) yield { cursor: encodeCursor([row.position]), message } as MessageEvent;
    }
  }
}

/** What the recipient sees change: statuses reached after publishing, and purging. */
const SHOWN = new Set<string>([...VISIBLE_TO_RECIPIENT, MessageStatus.PURGED_BY_RECIPIENT]);

async function* inboxChanges(
  recipient: string,
  { batches, view }: FeedRows,
  ctx: Context,
): AsyncGenerator<InboxChange> {
  const { feedLoads } = ctx.services;
  for await (const batch of batches) {
    await batch.rolesCaughtUp;
    for (const row of batch.rows) {
      const seen = await view(recipient);
      if (!seen) throw forbidden(recipient);
      if (row.kind === 'AccessChanged' || !SHOWN.has(row.status)) continue;
      if (!viewAllows(seen, row.serviceCode)) continue;
      const status = row.status as MessageStatus;
      const [message, unreadCount] = await Promise.all([
        status === MessageStatus.PURGED_BY_RECIPIENT
          ? null
          : feedLoads.message(row.position, row.messageId),
        feedLoads.unreadCount(row.position, recipient, seen),
      ]);
      yield {
        cursor: encodeCursor([row.position]),
        messageId: row.messageId,
        status,
        message,
        unreadCount,
      };
    }
  }
}
