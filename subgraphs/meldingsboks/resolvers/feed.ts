import { Scope } from '../../../platform/auth/caller.js';
import { requireScope } from '../../../platform/auth/authorize.js';
import { decodeCursor, encodeCursor } from '../../../platform/graphql/connection.js';
import { ClientError, ErrorCode, isDatabaseUnavailable } from '../../../platform/graphql/errors.js';
import { preview } from '../../../platform/graphql/preview.js';
import { recordStart } from '../../../platform/graphql/subscriptionStart.js';
import type { InboxView } from '../access.js';
import type { Context } from '../context.js';
import { FeedSink, type RoutedBatch } from '../services/feedHub.js';
import type { OutboxEvent } from '../services/index.js';
import { prunedThrough } from '../services/pruner.js';

export interface FeedSpec {
  /** One inbox, or (null) every inbox that granted the caller's organisation access. */
  recipient: string | null;
  after: string | null | undefined;
}

/** One feed's way through the outbox: its rows, and the caller's view of an inbox now. */
export interface FeedRows {
  batches: AsyncGenerator<RoutedBatch>;
  /** What the caller may see of `inbox` now (cached until the inbox's access changes). */
  view(inbox: string): Promise<InboxView | null>;
}

/**
 * Opens a feed: access and the start are settled first (so that the start can be announced to
 * a gateway that asks), then `events` turns the feed's rows into what the field gives out. The
 * returned iterator's `return()` (the client unsubscribed) ends the wait for the next event at
 * once. When the database cannot be reached to check access, the start is still announced and
 * the feed ends with that error, so a gateway resumes from the start once it is back instead of
 * from wherever the subgraph then is.
 */
export async function openFeed<T>(
  ctx: Context,
  spec: FeedSpec,
  events: (rows: FeedRows) => AsyncGenerator<T>,
): Promise<AsyncIterableIterator<T>> {
  const { caller, services } = ctx;
  requireScope(caller, Scope.DPV_READ);
  const org = caller.org;
  if (!spec.recipient && !org) {
    throw new ClientError(ErrorCode.FORBIDDEN, 'Your token names no organisation.');
  }
  if (spec.recipient && !org && !caller.actingFor) {
    throw new ClientError(ErrorCode.FORBIDDEN, 'Your token names no organisation.');
  }
  const start = spec.after ? Number(decodeCursor(spec.after, 1)[0]) : services.events.head;
  if (!Number.isSafeInteger(start) || start < 0) {
    throw new ClientError(ErrorCode.BAD_USER_INPUT, 'after is not a cursor this feed gave out.', {
      argument: 'after',
    });
  }
  let inboxes: Set<string>;
  try {
    inboxes = await settle(ctx, spec, start);
  } catch (err) {
    if (!isDatabaseUnavailable(err)) throw err;
    recordStart(ctx, encodeCursor([start]));
    return failing(err);
  }
  recordStart(ctx, encodeCursor([start]));
  const sink = new FeedSink(inboxes, spec.recipient ? null : org, services.feeds.maxQueued);
  const stop = new AbortController();
  const view = (inbox: string) => services.feedAccess.view(caller, inbox);
  const inner = events({ batches: batches(ctx, sink, start, stop.signal), view });
  const iterator: AsyncIterableIterator<T> = {
    next: () => inner.next(),
    return: async () => {
      stop.abort();
      return inner.return(undefined as never);
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

/** The inboxes the feed follows, once its access and cursor are checked. */
async function settle(ctx: Context, spec: FeedSpec, start: number): Promise<Set<string>> {
  const { caller, services } = ctx;
  if (spec.after) {
    const oldest = await prunedThrough(ctx.em);
    if (start < oldest) {
      throw new ClientError(
        ErrorCode.CURSOR_EXPIRED,
        'after is older than the events still kept: resume from oldestCursor, or start afresh.',
        { argument: 'after', oldestCursor: encodeCursor([oldest]) },
      );
    }
  }
  if (spec.recipient) {
    if (!(await services.feedAccess.view(caller, spec.recipient))) throw forbidden(spec.recipient);
    return new Set([spec.recipient]);
  }
  // A firm follows the inboxes with a grant to it that is not revoked; whether a grant given by
  // role holds is asked per event (the role may end or come back).
  const org = caller.org!;
  const rows = await services.feedLimiter.run(() =>
    ctx.em
      .fork()
      .getConnection()
      .execute<Array<{ owner: string }>>(
        `select distinct owner_orgnr as owner from inbox_grant
         where grantee_orgnr = ? and revoked_at is null and owner_orgnr <> ?`,
        [org, org],
      ),
  );
  return new Set(rows.map((r) => r.owner));
}

export function forbidden(inbox: string): ClientError {
  return new ClientError(
    ErrorCode.FORBIDDEN,
    `You no longer have access to the inbox of ${preview(inbox)}.`,
  );
}

/**
 * The feed's rows after `start`: what came before it joined the hub from the tail (its ring, or
 * the table), then what the hub routes to it; after an overflow, again from the tail. No gap,
 * no duplicate.
 */
async function* batches(
  ctx: Context,
  sink: FeedSink,
  start: number,
  signal: AbortSignal,
): AsyncGenerator<RoutedBatch> {
  const { events, feeds } = ctx.services;
  const caughtUp = Promise.resolve();
  let cursor = start;
  let upTo = feeds.join(sink);
  try {
    for (;;) {
      if (cursor < upTo) {
        for await (const rows of events.read(cursor, signal)) {
          const part = rows.filter((r) => r.position <= upTo && takes(ctx, sink, r));
          if (part.length > 0) yield { rows: part, rolesCaughtUp: caughtUp };
          if (rows[rows.length - 1]!.position >= upTo) break;
        }
        cursor = upTo;
      }
      for (let b = await sink.next(signal); b; b = await sink.next(signal)) {
        yield b;
        cursor = b.rows[b.rows.length - 1]!.position;
      }
      if (signal.aborted) return;
      // Too far behind: the queue was dropped; read on from the tail.
      sink.reset();
      upTo = events.head;
    }
  } finally {
    feeds.leave(sink);
  }
}

/** Whether the sink takes a row read from the tail; a grant seen there is followed from now on. */
function takes(ctx: Context, sink: FeedSink, row: OutboxEvent): boolean {
  const had = sink.inboxes.has(row.recipientOrgnr);
  const taken = sink.takes(row);
  if (taken && !had) ctx.services.feeds.follow(sink, row.recipientOrgnr);
  return taken;
}

/** A feed whose first event is `err`. */
function failing<T>(err: unknown): AsyncIterableIterator<T> {
  let failed = false;
  const iterator: AsyncIterableIterator<T> = {
    next: () => {
      if (failed) return Promise.resolve({ value: undefined, done: true });
      failed = true;
      return Promise.reject(err);
    },
    return: () => Promise.resolve({ value: undefined, done: true }),
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
