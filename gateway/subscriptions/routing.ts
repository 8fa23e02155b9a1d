import { createHash } from 'node:crypto';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import {
  GraphQLError,
  getOperationAST,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';
import type { SubscriptionNode } from '@apollo/query-planner';
import { CALLER_HEADER, REQUEST_ID_HEADER } from '../../platform/auth/internalIdentity.js';
import { coded } from '../../platform/http/subscriptions.js';
import type { Logger } from '../../platform/runtime/logger.js';
import { headersOf, type FederationExecutor } from '../executor/index.js';
import type { PreparedOperation } from '../executor/plan.js';
import type { GatewayMetrics } from '../metrics.js';
import { CloseCode, type Connection } from './connection.js';
import { FederatedSubscription } from './federated.js';
import { positionKey, type Positions } from './positions.js';
import { upstreamOperation, type UpstreamOperation } from './resume.js';
import { Upstream } from './upstream.js';

export interface RoutingOptions {
  executor: FederationExecutor;
  /** Subgraph URLs by name (HTTP; the WebSocket URL is the same with ws:). */
  subgraphUrls: ReadonlyMap<string, string>;
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
  private readonly upstreams = new Map<string, Upstream>();
  private holding = false;

  constructor(private readonly options: RoutingOptions) {}

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
    await Promise.all([...this.upstreams.values()].map((u) => u.close()));
  }

  private async run(args: ExecutionArgs, kind: 'execute' | 'subscribe'): Promise<Routed> {
    const { executor } = this.options;
    const connection = args.contextValue as Connection;
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    const operation = getOperationAST(args.document, args.operationName);
    if (!operation)
      return { errors: [new GraphQLError('Unable to identify the operation to run.')] };
    const key = createHash('sha256').update(printDocumentKey(args.document)).digest('hex');
    const prepared = executor.prepare(
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
      return executor.runOperation(prepared, variables, await headersOf(connection), node);
    }
    // A client that reconnects sends the same subscribe again (same id, same variables): it
    // resumes from the last event it confirmed, unless it names a cursor itself.
    const subscriptionId = (args.rootValue as { subscriptionId?: string } | undefined)
      ?.subscriptionId;
    let upstream = upstreamOperation(executor.planner.schema, node.primary.operation, variables);
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
    const subscription = this.federated(connection, prepared, node, variables, upstream, resumeKey);
    await subscription.start();
    return subscription;
  }

  /** The subscription of `node` for one subscriber, not yet started. */
  private federated(
    connection: Connection,
    prepared: PreparedOperation,
    node: SubscriptionNode,
    variables: Record<string, unknown>,
    operation: UpstreamOperation,
    resumeKey: string | undefined,
  ): FederatedSubscription {
    const { executor, maxBufferedEvents, maxBufferedBytes, upstreamGiveUpMs, metrics } =
      this.options;
    return new FederatedSubscription({
      executor,
      prepared,
      node,
      upstream: this.upstreamOf(node.primary.serviceName),
      operation,
      variables,
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
      socketBuffered: () => connection.socket.bufferedAmount,
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
  }

  /** The shared connection to subgraph `name`, made on first use. */
  private upstreamOf(name: string): Upstream {
    let upstream = this.upstreams.get(name);
    if (!upstream) {
      const url = this.options.subgraphUrls.get(name);
      if (!url) throw new Error(`No subgraph named "${name}"`);
      upstream = new Upstream(name, url, this.options.log, this.options.upstreamConnections);
      this.upstreams.set(name, upstream);
    }
    return upstream;
  }
}

/** The document's source text when it has one (the plan cache key), else its printed form. */
function printDocumentKey(document: DocumentNode): string {
  return document.loc?.source.body ?? JSON.stringify(document);
}
