import type { OutboxTail } from '../../../platform/events/tail.js';
import type { FeedAccess } from './feedAccess.js';
import type { OutboxEvent } from './index.js';
import type { RoleChangeFollower } from './roleChanges.js';

/** Rows routed to one feed at one moment. */
export interface RoutedBatch {
  rows: OutboxEvent[];
  /** Resolves once the role changes committed before these rows are in the caches. */
  rolesCaughtUp: Promise<void>;
}

/**
 * One subscription's place in the hub: the inboxes whose events it takes, and the rows routed
 * to it that it has not taken yet. A feed that falls more than `maxQueued` rows behind is told
 * to catch up from the table instead (`overflowed`), so a stalled subscriber holds no memory.
 */
export class FeedSink {
  private queue: RoutedBatch[] = [];
  private queued = 0;
  private waiting: (() => void) | undefined;
  overflowed = false;

  constructor(
    /** The inboxes it follows; grows when `grantee` is granted another. */
    readonly inboxes: Set<string>,
    /** A firm's feed: the organisation whose new grants add inboxes. */
    readonly grantee: string | null,
    private readonly maxQueued: number,
  ) {}

  /** Whether the feed takes `row`; a grant to its grantee adds the granting inbox first. */
  takes(row: OutboxEvent): boolean {
    if (row.kind === 'AccessChanged' && this.grantee !== null && row.grantee === this.grantee) {
      this.inboxes.add(row.recipientOrgnr);
    }
    return this.inboxes.has(row.recipientOrgnr);
  }

  push(batch: RoutedBatch): void {
    if (this.overflowed) return;
    this.queued += batch.rows.length;
    if (this.queued > this.maxQueued) {
      this.overflowed = true;
      this.queue = [];
      this.queued = 0;
    } else {
      this.queue.push(batch);
    }
    this.wakeUp();
  }

  /** The next routed batch; undefined when `signal` aborts or the feed overflowed. */
  async next(signal: AbortSignal): Promise<RoutedBatch | undefined> {
    while (!signal.aborted && !this.overflowed) {
      const batch = this.queue.shift();
      if (batch) {
        this.queued -= batch.rows.length;
        return batch;
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          this.waiting = undefined;
          resolve();
        };
        this.waiting = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
    return undefined;
  }

  /** Empties the queue: the feed reads what it holds from the tail instead. */
  reset(): void {
    this.queue = [];
    this.queued = 0;
    this.overflowed = false;
  }

  wakeUp(): void {
    this.waiting?.();
  }
}

/**
 * Routes meldingsboks' outbox to the live feeds of this process: each row once, to the feeds of
 * its inbox only (an inbox's own feeds, and the firms it granted), so an event costs what its
 * receivers cost and nothing for the feeds it does not concern. Rows are routed as the tail
 * takes them in, before any feed reads them; an AccessChanged row drops the inbox's cached
 * access answers first, and adds the inbox to the firm feeds of the grantee.
 */
export class FeedHub {
  private readonly byInbox = new Map<string, Set<FeedSink>>();
  private readonly byGrantee = new Map<string, Set<FeedSink>>();
  private readonly sinks = new Set<FeedSink>();
  private readonly stop: () => void;

  constructor(
    private readonly tail: OutboxTail<OutboxEvent>,
    private readonly access: FeedAccess,
    private readonly roleChanges: RoleChangeFollower,
    /** @default 10000 */
    readonly maxQueued = 10_000,
  ) {
    this.stop = tail.observe((rows) => this.route(rows));
  }

  /** Feeds registered now (a gauge for operators, and for tests). */
  get size(): number {
    return this.sinks.size;
  }

  /**
   * Registers a feed; every row after the returned position (the tail's head now) is routed to
   * it, so that it reads what came before from the tail and nothing twice.
   */
  join(sink: FeedSink): number {
    this.sinks.add(sink);
    for (const inbox of sink.inboxes) add(this.byInbox, inbox, sink);
    if (sink.grantee !== null) add(this.byGrantee, sink.grantee, sink);
    return this.tail.head;
  }

  /** Adds an inbox to a registered feed (after it took a grant it saw while catching up). */
  follow(sink: FeedSink, inbox: string): void {
    add(this.byInbox, inbox, sink);
  }

  leave(sink: FeedSink): void {
    this.sinks.delete(sink);
    for (const inbox of sink.inboxes) remove(this.byInbox, inbox, sink);
    if (sink.grantee !== null) remove(this.byGrantee, sink.grantee, sink);
    sink.wakeUp();
  }

  close(): void {
    this.stop();
  }

  private route(rows: readonly OutboxEvent[]): void {
    const routed = new Map<FeedSink, OutboxEvent[]>();
    for (const row of rows) {
      if (row.kind === 'AccessChanged') {
        this.access.invalidate(row.recipientOrgnr);
        for (const sink of this.byGrantee.get(row.grantee ?? '') ?? []) {
          if (sink.takes(row)) add(this.byInbox, row.recipientOrgnr, sink);
        }
      }
      for (const sink of this.byInbox.get(row.recipientOrgnr) ?? []) {
        let list = routed.get(sink);
        if (!list) routed.set(sink, (list = []));
        list.push(row);
      }
    }
    if (routed.size === 0) return;
    // One look at Enhetsregisteret's role changes for the whole batch, whoever receives it.
    const rolesCaughtUp = this.roleChanges.caughtUp();
    for (const [sink, list] of routed) sink.push({ rows: list, rolesCaughtUp });
  }
}

function add<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function remove<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  set?.delete(value);
  if (set?.size === 0) map.delete(key);
}
