import { GraphQLError, type ExecutionResult } from 'graphql';
import type { SubscriptionNode } from '../executor/planTypes.js';
import { ErrorCode } from '../../platform/graphql/errors.js';
import { ANNOUNCE_START, announcedStart } from '../../platform/graphql/subscriptionStart.js';
import type { JsonObject } from '../executor/data.js';
import type { FederationExecutor } from '../executor/index.js';
import type { Generation } from '../generation.js';
import type { PreparedOperation } from '../executor/plan.js';
import { CURSOR_ALIAS, RESUME_VARIABLE, type UpstreamOperation } from './resume.js';
import { isConnectionLoss, type Upstream } from './upstream.js';

/** What a subscription runs by: one generation's plan, and the subgraph that plan subscribes at. */
export interface SubscriptionPlan {
  generation: Generation;
  prepared: PreparedOperation;
  node: SubscriptionNode;
  upstream: Upstream;
  operation: UpstreamOperation;
}

export interface FederatedSubscriptionOptions extends SubscriptionPlan {
  executor: FederationExecutor;
  variables: Readonly<Record<string, unknown>>;
  /** Headers of the rest-of-plan fetches and the upstream operation's extensions, fresh each call. */
  headers: () => Promise<Record<string, string>>;
  /** Upstream parameters of this subscriber (signed caller, request id), fresh each call. */
  extensions: () => Promise<Record<string, unknown>>;
  /** Events waiting for a slow client before `onOverflow`. */
  maxBuffered: number;
  /**
   * Bytes waiting for a slow client before `onOverflow`: events queued here plus what the
   * client's socket has not sent yet (`socketBuffered`).
   */
  maxBufferedBytes: number;
  socketBuffered: () => number;
  /** The client fell too far behind: close its connection. */
  onOverflow: (why: string) => void;
  /**
   * An event was handed to the client, `seconds` after it arrived from the subgraph; `cursor` is
   * its position when the field is resumable.
   */
  onDelivered: (seconds: number, cursor: string | null) => void;
  /** The subgraph said where the subscription starts (before its first event). */
  onStart?: (cursor: string) => void;
  /** How long to keep trying to get back to a lost subgraph. @default 60 000 */
  giveUpAfterMs?: number;
  /** Called once when it ends, whichever way. */
  onEnd?: () => void;
  /**
   * True once the gateway is closing its sockets: events are kept here, not handed to the
   * client, which gets them from the instance it moves to (after its confirmed position).
   */
  held?: () => boolean;
}

/** A subscription taken again after a database outage counts as back once it holds this long. */
const HEALTHY_AFTER_MS = 2_000;

/** Every error is DATABASE_UNAVAILABLE: the subgraph is there, its database is not (yet). */
function isDatabaseUnavailable(error: unknown): boolean {
  return (
    Array.isArray(error) &&
    error.length > 0 &&
    error.every((e) => (e as GraphQLError).extensions?.code === ErrorCode.DATABASE_UNAVAILABLE)
  );
}

interface Pending {
  result: ExecutionResult;
  arrived: number;
  cursor: string | null;
  /** Its size as JSON, when it had to wait in the queue. */
  bytes: number;
}

/**
 * One client's subscription through the gateway: subscribes to the subgraph that owns the root
 * field, and for every event runs the rest of the plan (fields of other subgraphs) and shapes
 * the result. Events are processed one at a time, in order. When the subgraph connection is
 * lost, it subscribes again from the last delivered cursor (for resumable fields), with backoff.
 * An async iterator, as graphql-ws serves it; `return()` unsubscribes upstream.
 */
export class FederatedSubscription implements AsyncIterableIterator<ExecutionResult> {
  private readonly queue: Pending[] = [];
  private waiting: ((result: IteratorResult<ExecutionResult>) => void) | undefined;
  private chain: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;
  private cursor: string | null;
  private ended = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private lostSince: number | undefined;
  private attempt = 0;
  /** Events accepted from upstream and not yet taken by the client. */
  private backlog = 0;
  /** Bytes of the events in `queue`. */
  private queuedBytes = 0;
  /** The plan events are run by: the one it started with, until a reload moves it. */
  private plan: SubscriptionPlan;

  /** The plan it moves to: `plan`, or the one a reload gave it that waits in line. */
  private planned: SubscriptionPlan;
  /** Counts upstream subscribes; results of an earlier one are ignored (it was stopped). */
  private subscribes = 0;
  /**
   * Set while the subgraph answers DATABASE_UNAVAILABLE: its socket is live all along, so taking
   * the subscription again counts as getting back only once it has held for a while.
   */
  private databaseDown = false;
  private healthyTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: FederatedSubscriptionOptions) {
    this.cursor = options.operation.initialCursor;
    this.plan = options;
    this.planned = options;
  }

  /** The generation whose plan the next event runs by (a move waiting in line included). */
  get generation(): Generation {
    return this.planned.generation;
  }

  /**
   * Runs by `plan` from the next event on: events already received finish on the old plan. When
   * the subscription moved to another subgraph, or its upstream operation changed, it subscribes
   * there afresh (from its last cursor, when resumable), as after a lost connection, and answers
   * true.
   */
  moveTo(plan: SubscriptionPlan): boolean {
    if (this.ended) return false;
    const resubscribe =
      plan.upstream !== this.planned.upstream ||
      plan.operation.query !== this.planned.operation.query;
    this.planned = plan;
    if (resubscribe) this.stopUpstream();
    this.enqueueThen(async () => {
      this.plan = plan;
      if (resubscribe && !this.ended) await this.start();
    });
    return resubscribe;
  }

  /** Ends it with `error` (after what is already queued): the reload made it invalid. */
  invalidate(error: GraphQLError): void {
    if (this.ended) return;
    this.stopUpstream();
    this.enqueueThen(() => this.push({ errors: [error] }, performance.now()));
    this.enqueueThen(() => this.finish());
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Subscribes upstream; call once. */
  async start(): Promise<void> {
    const { upstream, operation, node } = this.plan;
    const { variables } = this.options;
    const upstreamVariables: Record<string, unknown> = {};
    for (const name of node.primary.variableUsages ?? []) {
      if (variables[name] !== undefined) upstreamVariables[name] = variables[name];
    }
    if (operation.resumable) upstreamVariables[RESUME_VARIABLE] = this.cursor;
    const subscribe = ++this.subscribes;
    // A stopped subscribe still completes (graphql-ws calls `complete` after the unsubscribe),
    // and one stopped while it signs the caller below must not subscribe at all.
    const stale = () => subscribe !== this.subscribes;
    const extensions = {
      ...(await this.options.extensions()),
      // Without a cursor yet, ask where it starts: a loss before the first event resumes there.
      ...(operation.resumable && this.cursor === null ? { [ANNOUNCE_START]: true } : {}),
    };
    if (this.ended || stale()) return;
    let lost = false;
    this.unsubscribe = upstream.subscribe(
      { query: operation.query, variables: upstreamVariables, extensions },
      // The subgraph took the subscription again: the give-up clock starts afresh.
      () => {
        if (!this.databaseDown) {
          this.attempt = 0;
          this.lostSince = undefined;
          return;
        }
        clearTimeout(this.healthyTimer);
        this.healthyTimer = setTimeout(() => this.recovered(), HEALTHY_AFTER_MS);
      },
      {
        next: (result) => {
          if (stale()) return;
          const { data, errors } = result as ExecutionResult;
          if (operation.resumable && data == null && isDatabaseUnavailable(errors)) {
            // The subgraph could not read this event from its database: not an event for the
            // client but an outage. Let go, and subscribe again after the last event.
            if (lost || this.ended) return;
            lost = true;
            const unsubscribe = this.unsubscribe;
            this.unsubscribe = undefined;
            unsubscribe?.();
            clearTimeout(this.healthyTimer);
            this.databaseDown = true;
            this.reconnect();
            return;
          }
          this.recovered();
          const start = announcedStart(result as ExecutionResult);
          if (start !== undefined) {
            // Where the subgraph started; no event, and only until a real cursor arrives.
            this.enqueueThen(() => {
              this.cursor ??= start;
              this.options.onStart?.(start);
            });
            return;
          }
          this.accept(result as ExecutionResult);
        },
        error: (error) => {
          if (lost || this.ended || stale()) return;
          lost = true;
          if (isConnectionLoss(error)) {
            this.reconnect();
          } else if (isDatabaseUnavailable(error)) {
            // The subgraph's database is away (a restart, a failover): resume once it is back.
            clearTimeout(this.healthyTimer);
            this.databaseDown = true;
            this.reconnect();
          } else {
            const errors = (error as readonly GraphQLError[]).map(
              (e) => new GraphQLError(e.message, { extensions: e.extensions, path: e.path }),
            );
            this.enqueueThen(() => this.push({ errors }, performance.now()));
            this.enqueueThen(() => this.finish());
          }
        },
        complete: () => {
          if (!lost && !stale()) this.enqueueThen(() => this.finish());
        },
      },
    );
  }

  /** The subgraph serves the subscription again. */
  private recovered(): void {
    clearTimeout(this.healthyTimer);
    this.databaseDown = false;
    this.attempt = 0;
    this.lostSince = undefined;
  }

  /** The subgraph went away: subscribe again from the last cursor, with growing pauses. */
  private reconnect(): void {
    if (this.ended) return;
    this.unsubscribe = undefined;
    this.lostSince ??= Date.now();
    if (Date.now() - this.lostSince > (this.options.giveUpAfterMs ?? 60_000)) {
      const error = new GraphQLError(
        `Subgraph "${this.plan.upstream.name}" is unavailable: the subscription could not be resumed.`,
        {
          extensions: {
            code: ErrorCode.SUBGRAPH_UNAVAILABLE,
            serviceName: this.plan.upstream.name,
          },
        },
      );
      this.enqueueThen(() => this.push({ errors: [error] }, performance.now()));
      this.enqueueThen(() => this.finish());
      return;
    }
    const pause = Math.min(5_000, 100 * 2 ** this.attempt++) * (0.5 + Math.random() / 2);
    this.retryTimer = setTimeout(() => {
      // Events already received are processed first, so the cursor is the last one delivered.
      void this.chain.then(() => this.start());
    }, pause);
  }

  private accept(result: ExecutionResult): void {
    const arrived = performance.now();
    this.backlog++;
    if (this.backlog > this.options.maxBuffered) {
      this.overflow(`more than ${this.options.maxBuffered} events waiting`);
      return;
    }
    if (this.overBytes()) return;
    // The rest of the plan starts at once, so that the fetches of events arriving together go
    // out in one batch; results are still handed on one at a time, in order.
    const running = this.process(result, this.planned);
    running.catch(() => undefined);
    this.enqueueThen(async () => {
      const done = await running;
      if (this.ended) return;
      if (done.cursor !== undefined) this.cursor = done.cursor;
      this.push(done.result, arrived, this.cursor);
    });
  }

  private enqueueThen(step: () => Promise<void> | void): void {
    this.chain = this.chain.then(step).catch(() => undefined);
  }

  /** Runs the rest of the plan over one event: the shaped result, and the event's cursor. */
  private async process(
    result: ExecutionResult,
    plan: SubscriptionPlan,
  ): Promise<{ result: ExecutionResult; cursor?: string }> {
    const { executor, variables } = this.options;
    const { generation, prepared, node, operation, upstream } = plan;
    const data = (result.data ?? null) as JsonObject | null;
    const root = data?.[operation.rootField] as JsonObject | null | undefined;
    const cursor =
      operation.resumable && root && typeof root[CURSOR_ALIAS] === 'string'
        ? root[CURSOR_ALIAS]
        : undefined;
    const errors = (result.errors ?? []).map(
      (e) =>
        new GraphQLError(e.message, {
          path: e.path,
          extensions: { ...e.extensions, serviceName: upstream.name },
        }),
    );
    if (!data || this.ended) return { result: { errors }, cursor };
    const shaped = await executor.runOperation(
      generation,
      prepared,
      variables,
      await this.options.headers(),
      node.rest,
      data,
      errors,
      { batched: true },
    );
    return { result: shaped, cursor };
  }

  private push(result: ExecutionResult, arrived: number, cursor: string | null = null): void {
    if (this.ended) return;
    const pending: Pending = { result, arrived, cursor, bytes: 0 };
    const waiting = this.waiting;
    if (waiting && !this.options.held?.()) {
      this.waiting = undefined;
      this.deliver(pending);
      waiting({ value: pending.result, done: false });
    } else {
      // Weighed only when the client is behind: a client that keeps up costs no serialising.
      pending.bytes = JSON.stringify(result).length;
      this.queuedBytes += pending.bytes;
      this.queue.push(pending);
      this.overBytes();
    }
  }

  /** True (and the client told off) when the bytes waiting for it are past the bound. */
  private overBytes(): boolean {
    const bytes = this.queuedBytes + this.options.socketBuffered();
    if (bytes <= this.options.maxBufferedBytes) return false;
    this.overflow(`${bytes} bytes waiting, more than ${this.options.maxBufferedBytes}`);
    return true;
  }

  /**
   * The client fell too far behind: its connection is closed (it may resume from what it
   * confirmed), and this subscription ends at once, so that nothing more piles up while the
   * close waits on a client that does not read.
   */
  private overflow(why: string): void {
    if (this.ended) return;
    this.options.onOverflow(why);
    void this.return();
  }

  private deliver(pending: Pending): void {
    this.backlog--;
    this.queuedBytes -= pending.bytes;
    this.options.onDelivered((performance.now() - pending.arrived) / 1000, pending.cursor);
  }

  private finish(): void {
    if (this.ended) return;
    // Let the client take what is queued, then end.
    this.ended = true;
    this.options.onEnd?.();
    this.stopUpstream();
    if (this.waiting && this.queue.length === 0) {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.options.held?.() && !this.ended) {
      return new Promise((resolve) => (this.waiting = resolve));
    }
    const pending = this.queue.shift();
    if (pending) {
      this.deliver(pending);
      return Promise.resolve({ value: pending.result, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    if (!this.ended) this.options.onEnd?.();
    this.ended = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.stopUpstream();
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    void this.return();
    return Promise.reject(error);
  }

  private stopUpstream(): void {
    this.subscribes++;
    clearTimeout(this.retryTimer);
    clearTimeout(this.healthyTimer);
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    unsubscribe?.();
  }
}
