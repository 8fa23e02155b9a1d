import type http from 'node:http';
import type pg from 'pg';
import {
  getOperationAST,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLError,
  type GraphQLFormattedError,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import type { InternalIdentity } from '../../platform/auth/internalIdentity.js';
import { socketErrorFormatter } from '../../platform/http/subscriptions.js';
import type { Logger } from '../../platform/runtime/logger.js';
import type { Authenticator } from '../auth.js';
import type { CallerBudgets } from '../edge/budget.js';
import { resolveTrusted } from '../edge/operations.js';
import type { FederationExecutor } from '../executor/index.js';
import type { OperationLimits } from '../limits.js';
import type { GatewayMetrics } from '../metrics.js';
import { Admission } from './admission.js';
import { Connections, type Channel, type Connection, type Refusal } from './connection.js';
import { counted } from './counted.js';
import { FederatedSubscription } from './federated.js';
import { Positions } from './positions.js';
import { OperationRouter } from './routing.js';

export interface SubscriptionLimits {
  /** Open connections one token may hold: sockets and HTTP subscription streams together. */
  maxConnectionsPerToken: number;
  /** Operations under way on one connection. */
  maxSubscriptionsPerConnection: number;
  /** Events a slow client may fall behind before its connection is closed (1013). */
  maxBufferedEvents: number;
  /** Bytes a slow client may fall behind (queued events plus its connection's buffer). */
  maxBufferedBytes: number;
  /** Anonymous connections in all (past it: 1013, or 503 over HTTP). */
  maxAnonymousConnections: number;
  /** How long a client's confirmed position stays resumable after a lost socket, in ms. */
  resumeGraceMs: number;
  /** How long a subscription keeps trying to get back to a lost subgraph, in ms. */
  upstreamGiveUpMs: number;
  /** Sockets to each subgraph that subscriptions are spread over. */
  upstreamConnections: number;
  /** Multipart HTTP subscriptions: a `{}` heartbeat part after this many ms without one. */
  heartbeatMs: number;
}

export interface GatewaySubscriptionOptions {
  executor: FederationExecutor;
  /** The callers' rate-limit budgets, spent here as over HTTP. */
  budgets: CallerBudgets;
  /** The client's address (for anonymous callers' budgets). */
  addressOf: (req: http.IncomingMessage) => string | undefined;
  auth: Authenticator;
  identity: InternalIdentity;
  limits: SubscriptionLimits;
  /** The gateway's shared state: resume positions are kept there. */
  pool?: pg.Pool | undefined;
  operationLimits: OperationLimits;
  /** Only these documents run (hash → document), as over HTTP. */
  trustedDocuments?: ReadonlyMap<string, string> | undefined;
  metrics: GatewayMetrics;
  production: boolean;
  log: Logger;
}

/** What running an admitted operation gives: one result, or a stream of them. */
export type Outcome = ExecutionResult | AsyncIterableIterator<ExecutionResult>;

/**
 * The one subscription core every transport (graphql-ws, multipart HTTP, SSE) adapts: who the
 * client is and how many connections it holds ({@link Connections}), each operation's admission
 * with the same limits and budgets as over HTTP ({@link Admission}), running it by its plan
 * ({@link OperationRouter}: a subscription at the subgraph that owns it, the rest of its plan per
 * event, resumable from a cursor), and the metrics. A transport only speaks its protocol.
 */
export class SubscriptionCore {
  readonly limits: SubscriptionLimits;
  readonly metrics: GatewayMetrics;
  readonly log: Logger;
  readonly positions: Positions;
  /** Formats errors sent to clients as Apollo formats them over HTTP. */
  readonly formatErrors: (errors: readonly GraphQLError[]) => GraphQLFormattedError[];
  private readonly connections: Connections;
  private readonly admission: Admission;
  private readonly router: OperationRouter;

  constructor(private readonly options: GatewaySubscriptionOptions) {
    const { executor, limits, metrics, log } = options;
    this.limits = limits;
    this.metrics = metrics;
    this.log = log;
    this.connections = new Connections({
      auth: options.auth,
      identity: options.identity,
      addressOf: options.addressOf,
      maxPerCaller: limits.maxConnectionsPerToken,
      maxAnonymous: limits.maxAnonymousConnections,
      log,
    });
    this.positions = new Positions({ graceMs: limits.resumeGraceMs, pool: options.pool, log });
    this.admission = new Admission({
      // Each operation is admitted by the generation current when it arrives.
      generation: () => executor.generation,
      budgets: options.budgets,
      operationLimits: options.operationLimits,
      maxOperationsPerConnection: limits.maxSubscriptionsPerConnection,
    });
    this.router = new OperationRouter({
      executor,
      maxBufferedEvents: limits.maxBufferedEvents,
      maxBufferedBytes: limits.maxBufferedBytes,
      upstreamGiveUpMs: limits.upstreamGiveUpMs,
      upstreamConnections: limits.upstreamConnections,
      positions: this.positions,
      metrics,
      log,
    });
    this.formatErrors = socketErrorFormatter(options.production, log);
  }

  /** Opens a connection for a client with this `Authorization` value, or says why not. */
  connect(
    authorization: string | undefined,
    request: http.IncomingMessage,
    channel: Channel,
  ): Promise<Connection | Refusal> {
    return this.connections.open(authorization, request, channel);
  }

  /** A connection closed: it no longer counts, and what its client confirmed is written now. */
  disconnect(connection: Connection): void {
    this.connections.closed(connection);
    // Its reconnect may land on another instance.
    void this.positions.flush();
  }

  /**
   * The arguments to run `payload` with on `connection`, or the errors that refuse it.
   * `subscriptionId` is the client's own id of the operation, where its protocol has one that
   * survives a reconnect (graphql-ws): the gateway then resumes it by its confirmed position.
   */
  async admit(
    connection: Connection,
    payload: SubscribePayload,
    subscriptionId?: string,
  ): Promise<ExecutionArgs | readonly GraphQLError[]> {
    let trusted = payload;
    if (this.options.trustedDocuments) {
      try {
        trusted = resolveTrusted(payload, this.options.trustedDocuments);
      } catch (err) {
        return [err as GraphQLError];
      }
    }
    const admitted = await this.admission.admit(connection, trusted);
    if (!('schema' in admitted) || subscriptionId === undefined) return admitted;
    return { ...admitted, rootValue: { subscriptionId } };
  }

  /** The kind of operation `query` names (cached parse), or undefined when it is not valid. */
  operationKind(query: string, operationName: string | undefined): string | undefined {
    // Past the size limit: not parsed here; the HTTP path refuses it with OPERATION_LIMIT.
    if (query.length > this.options.operationLimits.maxDocumentBytes) return undefined;
    const document = this.options.executor.generation.documents.get(query);
    if (!('kind' in document)) return undefined;
    return getOperationAST(document, operationName)?.operation;
  }

  /** Runs an admitted query or mutation; it counts on its connection until answered. */
  async execute(args: ExecutionArgs): Promise<ExecutionResult> {
    const connection = args.contextValue as Connection;
    try {
      return (await this.router.execute(args)) as ExecutionResult;
    } finally {
      connection.operations--;
    }
  }

  /**
   * Runs an admitted operation that may be a subscription: its events as an iterator (counted on
   * its connection and in the metrics until it ends), or one result.
   */
  async subscribe(args: ExecutionArgs): Promise<Outcome> {
    const connection = args.contextValue as Connection;
    let result;
    try {
      result = await this.router.subscribe(args);
    } catch (err) {
      connection.operations--;
      throw err;
    }
    if (!(result instanceof FederatedSubscription)) {
      connection.operations--;
      return result;
    }
    this.metrics.subscriptionsActive.inc();
    return counted(result, () => {
      connection.operations--;
      this.metrics.subscriptionsActive.dec();
    });
  }

  /** From now on no event is handed to a client (the transports are about to close). */
  hold(): void {
    this.router.hold();
  }

  /** Closes the connections to the subgraphs and writes the last positions. */
  async close(): Promise<void> {
    await this.router.close();
    await this.positions.close();
  }
}
