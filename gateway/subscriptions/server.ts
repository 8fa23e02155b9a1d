import { createHash, randomUUID } from 'node:crypto';
import type http from 'node:http';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import {
  CALLER_HEADER,
  REQUEST_ID_HEADER,
  type InternalIdentity,
} from '../../platform/auth/internalIdentity.js';
import { ClientError, ErrorCode } from '../../platform/graphql/errors.js';
import { closeSockets, coded, socketErrorFormatter } from '../../platform/http/subscriptions.js';
import type { Logger } from '../../platform/runtime/logger.js';
import type { Authenticator } from '../auth.js';
import type { GatewayContext } from '../context.js';
import { headersOf, type FederationExecutor } from '../executor/index.js';
import { checkDocumentSize, checkOperationLimits, type OperationLimits } from '../limits.js';
import { refuseUnstorableInput } from '../../platform/graphql/storable.js';
import { budgetKeyOf, type CallerBudgets } from '../edge/budget.js';
import type { GatewayMetrics } from '../metrics.js';
import { FederatedSubscription } from './federated.js';
import { upstreamOperation } from './resume.js';
import { Upstream } from './upstream.js';

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

/** Close codes: graphql-ws's own, and 1008 (policy) for a client too slow to keep up. */
export const CloseCode = {
  Unauthorized: 4401,
  Forbidden: 4403,
  SlowConsumer: 1008,
} as const;

/** One client connection: the context of its operations, as a request's is over HTTP. */
interface Connection extends GatewayContext {
  operations: number;
  expiry?: NodeJS.Timeout;
  close(code: number, reason: string): void;
}

/**
 * Serves graphql-ws at the gateway's `/graphql`. The token comes in `connection_init`'s payload
 * (`authorization: "Bearer …"`); a bad one is refused with 4403, and the connection closes with
 * 4401 when it expires. A subscription goes to the subgraph that owns its root field (by the
 * query plan), with the subscriber's identity, and every event gets the rest of the plan, so
 * fields of other subgraphs arrive in the same payload. Queries and mutations over the socket
 * run as over HTTP. Returns the function that closes everything.
 */
export function serveGatewaySubscriptions(
  httpServer: http.Server,
  options: GatewaySubscriptionOptions,
): () => Promise<void> {
  const { executor, auth, identity, limits, metrics, log, budgets } = options;
  const schema = executor.planner.schema;
  const upstreams = new Map<string, Upstream>();
  const upstreamOf = (name: string) => {
    let upstream = upstreams.get(name);
    if (!upstream) {
      const url = options.subgraphUrls.get(name);
      if (!url) throw new Error(`No subgraph named "${name}"`);
      upstream = new Upstream(name, url, log);
      upstreams.set(name, upstream);
    }
    return upstream;
  };
  /** Open connections per budget key: a token's organisation and subject, or an address. */
  const perCaller = new Map<string, number>();
  const documents = new Map<string, DocumentNode | readonly GraphQLError[]>();
  const rules = [
    ...specifiedRules,
    ...(options.production ? [NoSchemaIntrospectionCustomRule] : []),
  ];
  const formatAll = socketErrorFormatter(options.production, log);

  /** Parsed and validated once per query text (bounded). */
  const documentOf = (query: string): DocumentNode | readonly GraphQLError[] => {
    let document = documents.get(query);
    if (!document) {
      try {
        const parsed = parse(query);
        const invalid = validate(schema, parsed, rules);
        document =
          invalid.length > 0
            ? invalid.map((e) => coded(e, ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED))
            : parsed;
      } catch (err) {
        document = [coded(err as GraphQLError, ApolloServerErrorCode.GRAPHQL_PARSE_FAILED)];
      }
      documents.set(query, document);
      if (documents.size > 1000) documents.delete(documents.keys().next().value!);
    }
    return document;
  };

  const forwarded = (connection: Connection) => headersOf(connection);

  const run = async (args: ExecutionArgs, kind: 'execute' | 'subscribe') => {
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
      return executor.runOperation(prepared, variables, await forwarded(connection), node);
    }
    const upstream = upstreamOf(node.primary.serviceName);
    const subscription = new FederatedSubscription({
      executor,
      prepared,
      node,
      upstream,
      operation: upstreamOperation(schema, node.primary.operation, variables),
      variables,
      headers: () => forwarded(connection),
      extensions: async () => {
        const headers = await forwarded(connection);
        return {
          [REQUEST_ID_HEADER]: headers[REQUEST_ID_HEADER],
          ...(headers[CALLER_HEADER] ? { [CALLER_HEADER]: headers[CALLER_HEADER] } : {}),
        };
      },
      maxBuffered: limits.maxBufferedEvents,
      onOverflow: () => {
        connection.log.warn({ max: limits.maxBufferedEvents }, 'slow subscriber closed');
        connection.close(
          CloseCode.SlowConsumer,
          `Slow consumer: more than ${limits.maxBufferedEvents} events waiting`,
        );
      },
      onDelivered: (seconds) => {
        metrics.subscriptionEvents.inc();
        metrics.subscriptionDelivery.observe(seconds);
      },
    });
    await subscription.start();
    return subscription;
  };

  const wss = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: 1 << 20 });
  const server = useServer<Record<string, unknown>, { connection?: Connection }>(
    {
      schema,
      onConnect: async (ctx) => {
        const requestId = randomUUID();
        const connectionLog = log.child({ requestId });
        const params = ctx.connectionParams ?? {};
        const given = params.authorization ?? params.Authorization;
        const authorization =
          typeof given === 'string'
            ? given
            : typeof params.token === 'string'
              ? `Bearer ${params.token}`
              : undefined;
        let verified;
        try {
          verified = await auth.verify(authorization);
        } catch (err) {
          const reason = (err as GraphQLError).extensions?.reason ?? 'invalid';
          connectionLog.info({ reason }, 'subscription connection refused');
          ctx.extra.socket.close(CloseCode.Forbidden, `Forbidden: token ${String(reason)}`);
          return false;
        }
        const budget = budgetKeyOf(verified.caller, options.addressOf(ctx.extra.request));
        const open = perCaller.get(budget.key) ?? 0;
        if (open >= limits.maxConnectionsPerToken) {
          ctx.extra.socket.close(
            CloseCode.Forbidden,
            `Forbidden: more than ${limits.maxConnectionsPerToken} connections for this ${budget.kind === 'caller' ? 'token' : 'address'}`,
          );
          return false;
        }
        perCaller.set(budget.key, open + 1);
        const connection: Connection = {
          caller: verified.caller,
          budget,
          // Signed afresh as it ages: a connection outlives one forwarded identity.
          forwardedIdentity: async () =>
            verified.caller.anonymous ? null : identity.signReused(verified.caller),
          requestId,
          log: connectionLog,
          operations: 0,
          close: (code, reason) => ctx.extra.socket.close(code, reason),
        };
        if (verified.expiresAt !== null) {
          connection.expiry = setTimeout(
            () => connection.close(CloseCode.Unauthorized, 'Unauthorized: the token expired'),
            Math.min(Math.max(verified.expiresAt - Date.now(), 0), 2 ** 31 - 1),
          );
        }
        ctx.extra.connection = connection;
        metrics.websocketConnections.inc();
        return true;
      },
      onClose: (ctx) => {
        const connection = ctx.extra.connection;
        if (!connection) return;
        ctx.extra.connection = undefined;
        clearTimeout(connection.expiry);
        metrics.websocketConnections.dec();
        const open = (perCaller.get(connection.budget.key) ?? 1) - 1;
        if (open <= 0) perCaller.delete(connection.budget.key);
        else perCaller.set(connection.budget.key, open);
      },
      onSubscribe: async (ctx, _id, payload) => {
        const connection = ctx.extra.connection!;
        // The same edge as over HTTP: size before parsing, budget before anything runs.
        try {
          checkDocumentSize(payload.query, options.operationLimits);
          budgets.refuseIfExhausted(connection.budget);
        } catch (err) {
          if ((err as GraphQLError).extensions?.code === ErrorCode.RATE_LIMITED)
            await budgets.pace();
          return [err as GraphQLError];
        }
        const document = documentOf(payload.query);
        if (!('kind' in document)) return [...document];
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) {
          return [
            coded(
              new GraphQLError('Unable to identify the operation to run.'),
              ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE,
            ),
          ];
        }
        try {
          const { cost } = checkOperationLimits(
            schema,
            document,
            operation,
            payload.variables ?? {},
            options.operationLimits,
          );
          refuseUnstorableInput(document, payload.variables ?? undefined);
          await budgets.spend(connection.budget, cost);
        } catch (err) {
          if ((err as GraphQLError).extensions?.code === ErrorCode.RATE_LIMITED)
            await budgets.pace();
          return [err as GraphQLError];
        }
        if (connection.operations >= limits.maxSubscriptionsPerConnection) {
          return [
            new ClientError(
              ErrorCode.OPERATION_LIMIT,
              `At most ${limits.maxSubscriptionsPerConnection} operations at once on one connection.`,
              { limit: 'subscriptionsPerConnection', max: limits.maxSubscriptionsPerConnection },
            ),
          ];
        }
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: connection,
        };
      },
      execute: (args) => run(args, 'execute') as never,
      subscribe: async (args) => {
        const connection = args.contextValue as Connection;
        const result = await run(args, 'subscribe');
        if (!(result instanceof FederatedSubscription)) return result as ExecutionResult;
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
      await Promise.all([...upstreams.values()].map((u) => u.close()));
    });
}

/** The iterator, calling `onEnd` once when it ends either way. */
function counted(
  iterator: FederatedSubscription,
  onEnd: () => void,
): AsyncIterableIterator<ExecutionResult> {
  let ended = false;
  const end = () => {
    if (!ended) {
      ended = true;
      onEnd();
    }
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      const result = await iterator.next();
      if (result.done) end();
      return result;
    },
    async return() {
      end();
      return iterator.return();
    },
    async throw(error: unknown) {
      end();
      return iterator.throw(error);
    },
  };
}

/** The document's source text when it has one (the plan cache key), else its printed form. */
function printDocumentKey(document: DocumentNode): string {
  return document.loc?.source.body ?? JSON.stringify(document);
}
