import { createHash } from 'node:crypto';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import {
  GraphQLError,
  getOperationAST,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';
import { CALLER_HEADER, REQUEST_ID_HEADER } from '../../platform/auth/internalIdentity.js';
import { ClientError, ErrorCode } from '../../platform/graphql/errors.js';
import { coded } from '../../platform/http/subscriptions.js';
import type { Logger } from '../../platform/runtime/logger.js';
import { headersOf, type FederationExecutor } from '../executor/index.js';
import type { Generation } from '../generation.js';
import type { GatewayMetrics } from '../metrics.js';
import { CloseCode, type Connection } from './connection.js';
import { FederatedSubscription, type SubscriptionPlan } from './federated.js';
import { positionKey, type Positions } from './positions.js';
import { upstreamOperation } from './resume.js';
import { Upstream } from './upstream.js';

export interface RoutingOptions {
  executor: FederationExecutor;
  /** Events a slow client may fall behind before its connection is closed. */
  maxBufferedEvents: number;
  /** Bytes a slow client may fall behind (queued events and its socket's buffer). */
  maxBufferedBytes: number;
  /** How long a subscription keeps trying to get back to a lost subgraph, in ms. */
  upstreamGiveUpMs: number;
  /** Sockets to each subgraph that subscriptions are spread over. */
  upstreamConnections: number;
  /** Where each client's subscriptions have got to, for resuming them. */
  positions: Positions;
  metrics: GatewayMetrics;
  log: Logger;
}

/** What running an operation over the socket gives: one result, or a stream of them. */
export type Routed = ExecutionResult | FederatedSubscription;

/**
 * Runs the socket's operations by their query plan. Queries and mutations run through the
 * executor, as over HTTP. A subscription goes to the subgraph that owns its root field, over the
 * one connection to that subgraph all subscriptions share, with the subscriber's identity; every
 * event gets the rest of the plan, so fields of other subgraphs arrive in the same payload.
 */
export class OperationRouter {
  /** Connections to the subgraphs, by name and URL. */
  private readonly upstreams = new Map<string, Upstream>();
  /** Subscriptions under way, with what it takes to check them again after a reload. */
  private readonly open = new Map<FederatedSubscription, Reroutable>();
  private readonly stopWatching: () => void;
  private holding = false;

  constructor(private readonly options: RoutingOptions) {
    this.stopWatching = options.executor.onGeneration((next) => {
      for (const [subscription, reroutable] of this.open)
        this.reroute(subscription, reroutable, next);
    });
  }

  /**
   * From now on no subscription hands an event to its client (the sockets are about to close):
   * an event a client was never sent is not confirmed, and the next instance sends it.
   */
  hold(): void {
    this.holding = true;
  }

  /** graphql-ws's `execute`: a query or mutation (a subscription is refused). */
  execute(args: ExecutionArgs): Promise<Routed> {
    return this.run(args, 'execute');
  }

  /** graphql-ws's `subscribe`: a subscription, or whatever else the plan turns out to be. */
  subscribe(args: ExecutionArgs): Promise<Routed> {
    return this.run(args, 'subscribe');
  }

  /** Closes the connections to the subgraphs. */
  async close(): Promise<void> {
    this.stopWatching();
    await Promise.all([...this.upstreams.values()].map((u) => u.close()));
  }

  private async run(args: ExecutionArgs, kind: 'execute' | 'subscribe'): Promise<Routed> {
    const { executor } = this.options;
    const connection = args.contextValue as Connection;
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    const operation = getOperationAST(args.document, args.operationName);
    if (!operation)
      return { errors: [new GraphQLError('Unable to identify the operation to run.')] };
    // Planned by the generation whose schema admitted it (a reload may have come since).
    const generation = executor.generationOf(args.schema);
    const key = createHash('sha256').update(printDocumentKey(args.document)).digest('hex');
    const prepared = executor.prepare(
      generation,
      key,
      args.document,
      operation,
      args.operationName ?? undefined,
      variables,
    );
    if ('errors' in prepared) {
      return { errors: prepared.errors.map((e) => coded(e, ApolloServerErrorCode.BAD_USER_INPUT)) };
    }
    const node = prepared.plan.node;
    if (kind === 'execute' || node?.kind !== 'Subscription') {
      if (node?.kind === 'Subscription') {
        return { errors: [new GraphQLError('Not a subscription.')] };
      }
      return executor.runOperation(
        generation,
        prepared,
        variables,
        await headersOf(connection),
        node,
      );
    }
    // A client that reconnects sends the same subscribe again (same id, same variables): it
    // resumes from the last event it confirmed, unless it names a cursor itself.
    const subscriptionId = (args.rootValue as { subscriptionId?: string } | undefined)
      ?.subscriptionId;
    let upstream = upstreamOperation(generation.schema, node.primary.operation, variables);
    let resumeKey: string | undefined;
    if (upstream.resumable && subscriptionId !== undefined) {
      resumeKey = positionKey({
        caller: connection.budget.key,
        id: subscriptionId,
        query: printDocumentKey(args.document),
        variables,
      });
      if (upstream.initialCursor === null) {
        const confirmed = await this.options.positions.get(resumeKey);
        if (confirmed !== null) upstream = { ...upstream, initialCursor: confirmed };
      }
    }
    const plan = {
      generation,
      prepared,
      node,
      upstream: this.upstreamOf(generation, node.primary.serviceName),
      operation: upstream,
    };
    const subscription = this.federated(connection, plan, variables, resumeKey);
    const reroutable = { document: args.document, operationName: args.operationName, variables };
    this.open.set(subscription, reroutable);
    // A reload between its admission and now: checked against the current generation at once.
    if (generation !== executor.generation) {
      this.reroute(subscription, reroutable, executor.generation);
    }
    await subscription.start();
    return subscription;
  }

  /**
   * After a reload: a subscription whose operation the new schema still accepts runs by the new
   * plan from its next event (the old plan's fetches may ask for what the subgraphs no longer
   * have); one it does not is ended with SUBSCRIPTION_INVALIDATED, the socket left open.
   */
  private reroute(
    subscription: FederatedSubscription,
    { document, operationName, variables }: Reroutable,
    next: Generation,
  ): void {
    if (subscription.generation === next) return;
    const refuse = (reasons: readonly string[]) => {
      this.options.metrics.subscriptionsInvalidated.inc();
      subscription.invalidate(
        new ClientError(
          ErrorCode.SUBSCRIPTION_INVALIDATED,
          `The gateway's schema changed and this subscription is no longer valid: ${reasons.join(' ')} Subscribe again with an operation the schema accepts.`,
          { reasons, supergraph: next.hash },
        ),
      );
    };
    try {
      this.replan(subscription, document, operationName, variables, next, refuse);
    } catch (err) {
      refuse([`It cannot be planned: ${(err as Error).message}`]);
    }
  }

  /** `reroute`'s checks and the move; `refuse` ends the subscription with its reasons. */
  private replan(
    subscription: FederatedSubscription,
    document: DocumentNode,
    operationName: string | null | undefined,
    variables: Record<string, unknown>,
    next: Generation,
    refuse: (reasons: readonly string[]) => void,
  ): void {
    const query = printDocumentKey(document);
    const parsed = next.documents.get(query);
    if (!('kind' in parsed)) return refuse(parsed.map((e) => e.message));
    const operation = getOperationAST(parsed, operationName);
    if (!operation) return refuse(['The operation is gone.']);
    const key = createHash('sha256').update(query).digest('hex');
    const prepared = this.options.executor.prepare(
      next,
      key,
      parsed,
      operation,
      operationName ?? undefined,
      variables,
    );
    if ('errors' in prepared) return refuse(prepared.errors.map((e) => e.message));
    const node = prepared.plan.node;
    if (node?.kind !== 'Subscription') return refuse(['It is no longer a subscription.']);
    const operationNow = upstreamOperation(next.schema, node.primary.operation, variables);
    const resubscribed = subscription.moveTo({
      generation: next,
      prepared,
      node,
      upstream: this.upstreamOf(next, node.primary.serviceName),
      operation: operationNow,
    });
    this.options.log.debug(
      { generation: next.number, subgraph: node.primary.serviceName, resubscribed },
      'subscription moved to the new supergraph',
    );
  }

  /** The subscription of `plan` for one subscriber, not yet started. */
  private federated(
    connection: Connection,
    plan: SubscriptionPlan,
    variables: Record<string, unknown>,
    resumeKey: string | undefined,
  ): FederatedSubscription {
    const { executor, maxBufferedEvents, maxBufferedBytes, upstreamGiveUpMs, metrics } =
      this.options;
    const subscription: FederatedSubscription = new FederatedSubscription({
      ...plan,
      executor,
      variables,
      onEnd: () => this.open.delete(subscription),
      headers: () => headersOf(connection),
      extensions: async () => {
        const headers = await headersOf(connection);
        return {
          [REQUEST_ID_HEADER]: headers[REQUEST_ID_HEADER],
          ...(headers[CALLER_HEADER] ? { [CALLER_HEADER]: headers[CALLER_HEADER] } : {}),
        };
      },
      maxBuffered: maxBufferedEvents,
      maxBufferedBytes,
      giveUpAfterMs: upstreamGiveUpMs,
      held: () => this.holding,
      socketBuffered: () => connection.channel.buffered(),
      onOverflow: (why) => {
        connection.log.warn({ why }, 'slow subscriber closed');
        // 1013: the client comes back by itself and resumes from what it confirmed.
        connection.close(CloseCode.TryAgainLater, `Try again later: slow consumer, ${why}`);
      },
      onStart: (cursor) => {
        if (resumeKey !== undefined) connection.confirmer?.started(resumeKey, cursor);
      },
      onDelivered: (seconds, cursor) => {
        metrics.subscriptionEvents.inc();
        metrics.subscriptionDelivery.observe(seconds);
        if (resumeKey !== undefined && cursor !== null) {
          connection.confirmer?.sentEvent(resumeKey, cursor);
        }
      },
    });
    return subscription;
  }

  /** The shared connection to subgraph `name` where `generation` has it, made on first use. */
  private upstreamOf(generation: Generation, name: string): Upstream {
    const url = generation.subgraphs.find((s) => s.name === name)?.url;
    if (!url) throw new Error(`No subgraph named "${name}"`);
    const key = `${name} ${url}`;
    let upstream = this.upstreams.get(key);
    if (!upstream) {
      upstream = new Upstream(name, url, this.options.log, this.options.upstreamConnections);
      this.upstreams.set(key, upstream);
    }
    return upstream;
  }
}

/** What a subscription was asked with, to plan it again on a new generation. */
interface Reroutable {
  document: DocumentNode;
  operationName: string | null | undefined;
  variables: Record<string, unknown>;
}

/** The document's source text when it has one (the plan cache key), else its printed form. */
function printDocumentKey(document: DocumentNode): string {
  return document.loc?.source.body ?? JSON.stringify(document);
}
