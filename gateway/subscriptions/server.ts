import type http from 'node:http';
import type { ExecutionResult } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { InternalIdentity } from '../../platform/auth/internalIdentity.js';
import { closeSockets, socketErrorFormatter } from '../../platform/http/subscriptions.js';
import type { Logger } from '../../platform/runtime/logger.js';
import type { Authenticator } from '../auth.js';
import type { CallerBudgets } from '../edge/budget.js';
import type { FederationExecutor } from '../executor/index.js';
import type { OperationLimits } from '../limits.js';
import type { GatewayMetrics } from '../metrics.js';
import { Admission } from './admission.js';
import { Connections, type Connection } from './connection.js';
import { counted } from './counted.js';
import { DocumentCache } from './documents.js';
import { FederatedSubscription } from './federated.js';
import { OperationRouter } from './routing.js';

export { CloseCode } from './connection.js';

export interface SubscriptionLimits {
  /** Open WebSocket connections one token may hold. */
  maxConnectionsPerToken: number;
  /** Operations under way on one connection. */
  maxSubscriptionsPerConnection: number;
  /** Events a slow client may fall behind before its connection is closed. */
  maxBufferedEvents: number;
}

export interface GatewaySubscriptionOptions {
  executor: FederationExecutor;
  /** The callers' rate-limit budgets, spent here as over HTTP. */
  budgets: CallerBudgets;
  /** The client's address (for anonymous callers' budgets). */
  addressOf: (req: http.IncomingMessage) => string | undefined;
  /** Subgraph URLs by name (HTTP; the WebSocket URL is the same with ws:). */
  subgraphUrls: ReadonlyMap<string, string>;
  auth: Authenticator;
  identity: InternalIdentity;
  limits: SubscriptionLimits;
  operationLimits: OperationLimits;
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
  const schema = executor.planner.schema;
  const connections = new Connections({
    auth: options.auth,
    identity: options.identity,
    addressOf: options.addressOf,
    maxPerCaller: limits.maxConnectionsPerToken,
    log,
  });
  const admission = new Admission({
    schema,
    documents: new DocumentCache(schema, { production: options.production }),
    budgets: options.budgets,
    operationLimits: options.operationLimits,
    maxOperationsPerConnection: limits.maxSubscriptionsPerConnection,
  });
  const router = new OperationRouter({
    executor,
    subgraphUrls: options.subgraphUrls,
    maxBufferedEvents: limits.maxBufferedEvents,
    metrics,
    log,
  });
  const formatAll = socketErrorFormatter(options.production, log);

  const wss = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: 1 << 20 });
  const server = useServer<Record<string, unknown>, { connection?: Connection }>(
    {
      schema,
      onConnect: async (ctx) => {
        const connection = await connections.open(ctx.connectionParams, ctx.extra);
        if (!connection) return false;
        ctx.extra.connection = connection;
        metrics.websocketConnections.inc();
        return true;
      },
      onClose: (ctx) => {
        const connection = ctx.extra.connection;
        if (!connection) return;
        ctx.extra.connection = undefined;
        connections.closed(connection);
        metrics.websocketConnections.dec();
      },
      onSubscribe: (ctx, _id, payload) => admission.admit(ctx.extra.connection!, payload),
      execute: (args) => router.execute(args) as never,
      subscribe: async (args) => {
        const result = await router.subscribe(args);
        if (!(result instanceof FederatedSubscription)) return result as ExecutionResult;
        // Counted while it runs: the connection's operations (admission's limit) and the gauge.
        const connection = args.contextValue as Connection;
        connection.operations++;
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

  return () =>
    closeSockets(wss, async () => {
      await server.dispose();
      await router.close();
    });
}
