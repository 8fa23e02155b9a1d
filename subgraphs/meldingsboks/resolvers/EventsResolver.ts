import { Arg, Field, ObjectType, Resolver, Root, Subscription } from 'type-graphql';
import { Scope } from '../../../platform/auth/caller.js';
import { requireScope } from '../../../platform/auth/authorize.js';
import { ClientError, ErrorCode } from '../../../platform/graphql/errors.js';
import { decodeCursor, encodeCursor } from '../../../platform/graphql/connection.js';
import { preview } from '../../../platform/graphql/preview.js';
import { recordStart } from '../../../platform/graphql/subscriptionStart.js';
import { AccessPolicy, viewAllows } from '../access.js';
import type { Context } from '../context.js';
import { prunedThrough } from '../services/pruner.js';
import { Message } from '../entities/Message.js';
import { createLoaders } from '../loaders/index.js';
import type { OutboxEvent } from '../services/index.js';

@ObjectType({ description: 'A message published to an inbox, with the cursor to resume after it.' })
export class MessageEvent {
  @Field(() => String, { description: 'Pass as `after` to resume right after this event.' })
  cursor!: string;

  @Field(() => Message)
  message!: Message;
}

interface Feed {
  /** One inbox, or (null) every inbox that granted the caller access. */
  recipient: string | null;
  after: string | null | undefined;
}

@Resolver()
export class EventsResolver {
  @Subscription(() => MessageEvent, {
    description:
      'New messages in one inbox you can read. With `after` (a cursor from an earlier event) it ' +
      'first replays what you missed, then goes live: no gap, no duplicate. Access is checked ' +
      'for every event; losing it ends the subscription with FORBIDDEN.',
    subscribe: ({ args, context }) =>
      feed(context as Context, {
        recipient: args.recipient as string,
        after: args.after as string,
      }),
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
      'REGN/REVI role stops that inbox at once.',
    subscribe: ({ args, context }) =>
      feed(context as Context, { recipient: null, after: args.after as string }),
  })
  clientMessagePublished(
    @Root() event: MessageEvent,
    @Arg('after', () => String, { nullable: true }) _after: string | null,
  ): MessageEvent {
    return event;
  }
}

/**
 * The events of a feed as an iterator whose `return()` (the client unsubscribed) ends the wait
 * for the next event at once, instead of after it. Access and the start are settled before it
 * is returned, so that the start can be announced to a gateway that asks.
 */
async function feed(ctx: Context, spec: Feed): Promise<AsyncIterableIterator<MessageEvent>> {
  const { caller, services } = ctx;
  requireScope(caller, Scope.DPV_READ);
  const org = caller.org;
  if (!org) throw new ClientError(ErrorCode.FORBIDDEN, 'Your token names no organisation.');
  if (spec.recipient) await ctx.access.requireView(spec.recipient);
  const start = spec.after ? Number(decodeCursor(spec.after, 1)[0]) : services.events.head;
  if (!Number.isSafeInteger(start) || start < 0) {
    throw new ClientError(ErrorCode.BAD_USER_INPUT, 'after is not a cursor this feed gave out.', {
      argument: 'after',
    });
  }
  const oldest = spec.after ? await prunedThrough(ctx.em) : 0;
  if (start < oldest) {
    throw new ClientError(
      ErrorCode.CURSOR_EXPIRED,
      'after is older than the events still kept: resume from oldestCursor, or start afresh.',
      { argument: 'after', oldestCursor: encodeCursor([oldest]) },
    );
  }
  recordStart(ctx, encodeCursor([start]));
  const stop = new AbortController();
  const inner = events(ctx, spec, org, start, stop.signal);
  const iterator: AsyncIterableIterator<MessageEvent> = {
    next: () => inner.next(),
    return: async () => {
      stop.abort();
      return inner.return(undefined);
    },
    throw: async (err: unknown) => {
      stop.abort();
      return inner.throw(err);
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

async function* events(
  ctx: Context,
  spec: Feed,
  org: string,
  start: number,
  signal: AbortSignal,
): AsyncGenerator<MessageEvent> {
  const { caller, services } = ctx;
  for await (const batch of services.events.read(start, signal, spec.recipient ?? undefined)) {
    const published = batch.filter(
      (e) =>
        e.kind === 'Published' &&
        (spec.recipient ? e.recipientOrgnr === spec.recipient : e.recipientOrgnr !== org),
    );
    if (published.length === 0) continue;
    // Each batch is a request of its own: fresh entity manager, loaders and access answers, so
    // that a revoked grant or an ended role counts from the next event on.
    const em = ctx.em.fork({ clear: true });
    ctx.loaders = createLoaders(em);
    ctx.access = new AccessPolicy(caller, em, services.roles, services.personRoles);
    const owners = [...new Set(published.map((e) => e.recipientOrgnr))];
    const views = new Map(
      await Promise.all(owners.map(async (o) => [o, await ctx.access.view(o)] as const)),
    );
    const allowed: OutboxEvent[] = [];
    for (const e of published) {
      const view = views.get(e.recipientOrgnr);
      if (!view && spec.recipient) {
        throw new ClientError(
          ErrorCode.FORBIDDEN,
          `You no longer have access to the inbox of ${preview(spec.recipient)}.`,
        );
      }
      if (view && viewAllows(view, e.serviceCode)) allowed.push(e);
    }
    const messages = await ctx.loaders.message.loadMany(allowed.map((e) => e.messageId));
    for (const [i, e] of allowed.entries()) {
      const message = messages[i];
      if (message && !(message instanceof Error)) {
        yield { cursor: encodeCursor([e.position]), message };
      }
    }
  }
}
