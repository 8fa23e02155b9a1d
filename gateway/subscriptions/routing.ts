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
import { upstreamOperation } from './resume.js';
import { Upstream } from './upstream.js';

export interface RoutingOptions {
  executor: FederationExecutor;
  /** Subgraph URLs by name (HTTP; the WebSocket URL is the same with ws:). */
  subgraphUrls: ReadonlyMap<string, string>;
  /** Events a slow client may fall behind before its connection is closed. */
  maxBufferedEvents: number;
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

  constructor(private readonly options: RoutingOptions) {}

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
    const subscription = this.federated(connection, prepared, node, variables);
    await subscription.start();
    return subscription;
  }

  /** The subscription of `node` for one subscriber, not yet started. */
  private federated(
    connection: Connection,
    prepared: PreparedOperation,
    node: SubscriptionNode,
    variables: Record<string, unknown>,
  ): FederatedSubscription {
    const { executor, maxBufferedEvents, metrics } = this.options;
    const schema = executor.planner.schema;
    return new FederatedSubscription({
      executor,
      prepared,
      node,
      upstream: this.upstreamOf(node.primary.serviceName),
      operation: upstreamOperation(schema, node.primary.operation, variables),
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
      onOverflow: () => {
        connection.log.warn({ max: maxBufferedEvents }, 'slow subscriber closed');
        connection.close(
          CloseCode.SlowConsumer,
          `Slow consumer: more than ${maxBufferedEvents} events waiting`,
        );
      },
      onDelivered: (seconds) => {
        metrics.subscriptionEvents.inc();
        metrics.subscriptionDelivery.observe(seconds);
      },
    });
  }

  /** The shared connection to subgraph `name`, made on first use. */
  private upstreamOf(name: string): Upstream {
    let upstream = this.upstreams.get(name);
    if (!upstream) {
      const url = this.options.subgraphUrls.get(name);
      if (!url) throw new Error(`No subgraph named "${name}"`);
      upstream = new Upstream(name, url, this.options.log);
      this.upstreams.set(name, upstream);
    }
    return upstream;
  }
}

/** The document's source text when it has one (the plan cache key), else its printed form. */
function printDocumentKey(document: DocumentNode): string {
  return document.loc?.source.body ?? JSON.stringify(document);
}
