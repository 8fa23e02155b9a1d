import type http from 'node:http';
import type pg from 'pg';
import type { ExecutionResult, GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { InternalIdentity } from '../../platform/auth/internalIdentity.js';
import { closeSockets, socketErrorFormatter } from '../../platform/http/subscriptions.js';
import type { Logger } from '../../platform/runtime/logger.js';
import type { Authenticator } from '../auth.js';
import type { CallerBudgets } from '../edge/budget.js';
import { resolveTrusted } from '../edge/operations.js';
import type { FederationExecutor } from '../executor/index.js';
import type { OperationLimits } from '../limits.js';
import type { GatewayMetrics } from '../metrics.js';
import { Admission } from './admission.js';
import { Connections, type Connection } from './connection.js';
import { counted } from './counted.js';
import { FederatedSubscription } from './federated.js';
import { Confirmer } from './confirm.js';
import { Positions } from './positions.js';
import { OperationRouter } from './routing.js';

export { CloseCode } from './connection.js';

export interface SubscriptionLimits {
  /** Open WebSocket connections one token may hold. */
  maxConnectionsPerToken: number;
  /** Operations under way on one connection. */
  maxSubscriptionsPerConnection: number;
  /** Events a slow client may fall behind before its connection is closed (1013). */
  maxBufferedEvents: number;
  /** Bytes a slow client may fall behind (queued events plus its socket's buffer). */
  maxBufferedBytes: number;
  /** Anonymous connections in all (past it: 1013). */
  maxAnonymousConnections: number;
  /** How long a client's confirmed position stays resumable after a lost socket, in ms. */
  resumeGraceMs: number;
  /** How long a subscription keeps trying to get back to a lost subgraph, in ms. */
  upstreamGiveUpMs: number;
  /** Sockets to each subgraph that subscriptions are spread over. */
  upstreamConnections: number;
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

/**
 * Serves graphql-ws at the gateway's `/graphql`: connections are opened and counted by
 * {@link Connections} (the token in `connection_init`), each operation admitted by
 * {@link Admission} (the same limits and budgets as over HTTP) and run by
 * {@link OperationRouter} (a subscription at the subgraph that owns it, the rest of its plan
 * per event). Returns the function that closes everything.
 */
export function serveGatewaySubscriptions(
  httpServer: http.Server,
  options: GatewaySubscriptionOptions,
): () => Promise<void> {
  const { executor, limits, metrics, log } = options;
  const connections = new Connections({
    auth: options.auth,
    identity: options.identity,
    addressOf: options.addressOf,
    maxPerCaller: limits.maxConnectionsPerToken,
    maxAnonymous: limits.maxAnonymousConnections,
    log,
  });
  const positions = new Positions({ graceMs: limits.resumeGraceMs, pool: options.pool, log });
  const admission = new Admission({
    // Each operation is admitted by the generation current when it arrives.
    generation: () => executor.generation,
    budgets: options.budgets,
    operationLimits: options.operationLimits,
    maxOperationsPerConnection: limits.maxSubscriptionsPerConnection,
  });
  const router = new OperationRouter({
    executor,
    maxBufferedEvents: limits.maxBufferedEvents,
    maxBufferedBytes: limits.maxBufferedBytes,
    upstreamGiveUpMs: limits.upstreamGiveUpMs,
    upstreamConnections: limits.upstreamConnections,
    positions,
    metrics,
    log,
  });
  const formatAll = socketErrorFormatter(options.production, log);
  /** Set when the sockets are closed for a shutdown (see Confirmer). */
  let restarting = false;

  const wss = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: 1 << 20 });
  const server = useServer<Record<string, unknown>, { connection?: Connection }>(
    {
      // Unused (onSubscribe gives every operation its schema), but kept current.
      schema: () => executor.generation.schema,
      onConnect: async (ctx) => {
        const connection = await connections.open(ctx.connectionParams, ctx.extra);
        if (!connection) return false;
        connection.confirmer = new Confirmer(ctx.extra.socket, positions, () => restarting);
        ctx.extra.connection = connection;
        metrics.websocketConnections.inc();
        return true;
      },
      onClose: (ctx) => {
        const connection = ctx.extra.connection;
        if (!connection) return;
        ctx.extra.connection = undefined;
        connections.closed(connection);
        // What this client confirmed is written now: its reconnect may land on another instance.
        void positions.flush();
        metrics.websocketConnections.dec();
      },
      onSubscribe: async (ctx, id, given) => {
        let payload = given;
        if (options.trustedDocuments) {
          try {
            payload = resolveTrusted(given, options.trustedDocuments);
          } catch (err) {
            return [err as GraphQLError];
          }
        }
        const admitted = await admission.admit(ctx.extra.connection!, payload);
        // The client's id of the operation goes with it: a reconnect resumes by it.
        return 'schema' in admitted ? { ...admitted, rootValue: { subscriptionId: id } } : admitted;
      },
      execute: async (args) => {
        // Admission counted it; it counts until it is answered.
        const connection = args.contextValue as Connection;
        try {
          return (await router.execute(args)) as never;
        } finally {
          connection.operations--;
        }
      },
      subscribe: async (args) => {
        const connection = args.contextValue as Connection;
        let result;
        try {
          result = await router.subscribe(args);
        } catch (err) {
          connection.operations--;
          throw err;
        }
        if (!(result instanceof FederatedSubscription)) {
          connection.operations--;
          return result as ExecutionResult;
        }
        metrics.subscriptionsActive.inc();
        return counted(result, () => {
          connection.operations--;
          metrics.subscriptionsActive.dec();
        });
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: formatAll(result.errors) } : undefined,
      onError: (_ctx, _id, _payload, errors) => formatAll(errors),
    },
    wss,
  );

  return async () => {
    // No event is handed out from here on; those already handed out reach their sockets within
    // this turn of the event loop, before the close frame that follows them.
    router.hold();
    await new Promise((resolve) => setImmediate(resolve));
    restarting = true;
    await closeSockets(wss, async () => {
      await server.dispose();
      await router.close();
      await positions.close();
    });
  };
}
