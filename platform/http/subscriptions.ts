import type http from 'node:http';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import {
  getOperationAST,
  getVariableValues,
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  subscribe,
  validate,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { CALLER_HEADER, REQUEST_ID_HEADER } from '../auth/internalIdentity.js';
import { errorFormatter } from '../graphql/errors.js';
import { ANNOUNCE_START, askForStart, withStartAnnounced } from '../graphql/subscriptionStart.js';
import type { Logger } from '../runtime/logger.js';
import { requestIdOf, type LoggingContext } from './requestLog.js';
import type { ApolloServerOptions } from '@apollo/server';

export interface SubscriptionOptions<Ctx extends LoggingContext> {
  /**
   * Builds the context of one WebSocket connection from the client's connectionParams, once when
   * it connects; its subscriptions share it. Throw to refuse (the socket closes with 4403
   * Forbidden). `log` carries the connection's `requestId`.
   */
  context: (
    connectionParams: Readonly<Record<string, unknown>> | undefined,
    log: Logger,
  ) => Promise<Ctx>;
}

/**
 * Serves graphql-ws on `/graphql` beside Apollo: authenticated when the socket connects, errors
 * formatted as Apollo formats them. Returns the function that closes every socket.
 */
export function serveSubscriptions<Ctx extends LoggingContext>(
  httpServer: http.Server,
  schema: GraphQLSchema,
  {
    production,
    log,
    apollo,
  }: { production: boolean; log: Logger; apollo: ApolloServerOptions<Ctx> },
  subscriptions: SubscriptionOptions<Ctx>,
): () => Promise<void> {
  // ws accepts 100 MiB messages by default; an operation is far smaller (cf. `bodyLimit`).
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: 1 << 20 });
  const formatAll = socketErrorFormatter(production, log);
  const rules = [
    ...specifiedRules,
    ...(apollo.validationRules ?? []),
    ...(production ? [NoSchemaIntrospectionCustomRule] : []),
  ];
  const server = useServer<Record<string, unknown>, { context: Ctx }>(
    {
      schema,
      isProd: production,
      onConnect: async (ctx) => {
        const requestId = requestIdOf(ctx.extra.request.headers[REQUEST_ID_HEADER]);
        try {
          ctx.extra.context = await subscriptions.context(
            ctx.connectionParams,
            log.child({ requestId }),
          );
          return true;
        } catch (err) {
          log.info({ requestId, reason: (err as Error).message }, 'subscription refused');
          return false;
        }
      },
      // A gateway multiplexes many callers over one connection: an operation that carries its
      // own signed caller in `extensions` runs as that caller, others as the connection's.
      // Each operation gets a context of its own (over the connection's, when it carries no
      // caller), so that what one subscription's resolver sets on it is its own.
      context: async (ctx, _id, payload) => {
        const caller = payload.extensions?.[CALLER_HEADER];
        const context =
          typeof caller !== 'string'
            ? (Object.create(ctx.extra.context as object) as Ctx)
            : await subscriptions.context(
                { [CALLER_HEADER]: caller },
                log.child({
                  requestId: requestIdOf(
                    payload.extensions?.[REQUEST_ID_HEADER] as string | undefined,
                  ),
                }),
              );
        if (payload.extensions?.[ANNOUNCE_START] === true) askForStart(context);
        return context;
      },
      subscribe: async (args) => {
        const result = await subscribe(args);
        return Symbol.asyncIterator in result
          ? withStartAnnounced(args.contextValue as object, result)
          : result;
      },
      // Parse and validate here, so that a bad operation is an error message with Apollo's code
      // (and Apollo's introspection rule), not a closed socket.
      onSubscribe: (_ctx, _id, payload) => {
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (err) {
          return [coded(err as GraphQLError, ApolloServerErrorCode.GRAPHQL_PARSE_FAILED)];
        }
        const invalid = validate(schema, document, rules);
        if (invalid.length > 0) {
          return invalid.map((e) => coded(e, ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED));
        }
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) {
          const error = new GraphQLError('Unable to identify the operation to run.');
          return [coded(error, ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE)];
        }
        // Variables that do not fit their types are the client's mistake, as over HTTP.
        const coerced = getVariableValues(
          schema,
          operation.variableDefinitions ?? [],
          payload.variables ?? {},
        );
        if (coerced.errors) {
          return coerced.errors.map((e) => coded(e, ApolloServerErrorCode.BAD_USER_INPUT));
        }
        const { operationName, variables: variableValues } = payload;
        return { schema, document, operationName, variableValues };
      },
      onError: (_ctx, _id, _payload, errors) => formatAll(errors),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: formatAll(result.errors) } : undefined,
    },
    wss,
  );
  return () => closeSockets(wss, () => server.dispose());
}

/**
 * Formats errors sent over a socket as Apollo formats them over HTTP: an error without a code is
 * internal (logged, and masked in production).
 */
export function socketErrorFormatter(production: boolean, log: Logger) {
  const format = errorFormatter(production, log);
  return (errors: readonly GraphQLError[]) =>
    errors.map((error) => {
      const json = error.toJSON();
      const code = json.extensions?.code ?? ApolloServerErrorCode.INTERNAL_SERVER_ERROR;
      return format({ ...json, extensions: { ...json.extensions, code } }, error);
    });
}

/** `error` with `code`, unless it has one. */
export function coded(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...error.extensions, code: error.extensions?.code ?? code },
  });
}

/** 1012 "service restart": clients (graphql-ws's own included) come back by themselves. */
export const SERVICE_RESTART = 1012;

/**
 * Disposes a graphql-ws server: every socket is closed with 1012 first, so that clients retry
 * (graphql-ws's own close, 1001, also is retried, but says less); a client that never answers the
 * close handshake is cut off.
 */
export async function closeSockets(wss: WebSocketServer, dispose: () => unknown) {
  for (const socket of wss.clients) socket.close(SERVICE_RESTART, 'Service restart');
  const cutoff = setTimeout(() => {
    for (const socket of wss.clients) socket.terminate();
  }, 1000);
  try {
    await dispose();
  } finally {
    clearTimeout(cutoff);
  }
}
