import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ApolloServer, type ApolloServerOptions } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import { REQUEST_ID_HEADER } from '../auth/internalIdentity.js';
import { ErrorCode, errorFormatter } from '../graphql/errors.js';
import { useStorableInput } from '../graphql/storable.js';
import type { Logger } from '../runtime/logger.js';
import { requestIdOf, useRequestLog, type LoggingContext } from './requestLog.js';
import { serveSubscriptions, type SubscriptionOptions } from './subscriptions.js';
import { traceRequests } from '../runtime/tracing.js';

/** What the service knows of a request before it builds the GraphQL context. */
export interface RequestInfo {
  req: express.Request;
  res: express.Response;
  requestId: string;
  /** The service's logger with `requestId` on every line. */
  log: Logger;
}

export interface HttpServiceOptions<Ctx extends LoggingContext> {
  /** Names the service in traces, e.g. `gateway` or a subgraph's name. */
  component: string;
  /** Apollo Server options; draining, logging, landing page and error masking are added. */
  apollo: ApolloServerOptions<Ctx>;
  /** Builds the context of one request; throw a GraphQLError with `http.status` to refuse it. */
  context: (info: RequestInfo) => Promise<Ctx>;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Hide internals: no introspection, no explorer, masked internal errors. */
  production: boolean;
  /** `GET /ready` answers 200 when this resolves true, 503 otherwise. @default always ready */
  ready?: () => Promise<boolean>;
  /** Serves `GET /metrics` when given. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /**
   * Serves `/metrics` on a server of its own on this port (0: a free one) instead of the
   * service's port, so that it is not public where the service is.
   */
  metricsPort?: number | undefined;
  /**
   * Middleware on the GraphQL path before the body is read (the gateway's load shedding, CORS
   * and compression).
   */
  edge?: express.RequestHandler[];
  /** Largest request body. @default '1mb' */
  bodyLimit?: string;
  /** Serves GraphQL subscriptions over graphql-ws on the same path (/graphql) when given. */
  subscriptions?: SubscriptionOptions<Ctx>;
  /**
   * Attaches another server to the HTTP server once it listens (the gateway's graphql-ws);
   * returns the function that closes it, called first on close.
   */
  attach?: (httpServer: http.Server) => () => Promise<void>;
  log: Logger;
}

/** A listening HTTP service. */
export interface HttpService {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4001/graphql`. */
  url: string;
  port: number;
  httpServer: http.Server;
  /** Where `/metrics` is served when it has a port of its own. */
  metricsUrl?: string;
  /** Stops accepting requests, lets running ones finish, then closes the socket. */
  close(): Promise<void>;
}

/**
 * Serves Apollo Server at `/graphql`, with `GET /health` (the process is alive), `GET /ready`
 * (it can serve) and optionally `GET /metrics`, on one HTTP server.
 */
export async function startHttpService<Ctx extends LoggingContext>(
  options: HttpServiceOptions<Ctx>,
): Promise<HttpService> {
  const { production, log } = options;
  const schema = options.apollo.schema;
  if (options.subscriptions && !schema) throw new Error('subscriptions need options.apollo.schema');
  const app = express();
  app.disable('x-powered-by');
  // GraphQL answers are not cached by ETag; hashing every body costs CPU for nothing.
  app.set('etag', false);
  const httpServer = http.createServer(app);
  const apollo = new ApolloServer<Ctx>({
    ...options.apollo,
    introspection: !production,
    csrfPrevention: true,
    formatError: errorFormatter(production, log),
    // No "Did you mean …?" naming fields the caller did not ask for.
    hideSchemaDetailsFromClientErrors: production,
    // Shutdown order is the process's to decide (platform/shutdown.ts), not each server's.
    stopOnTerminationSignals: false,
    plugins: [
      ...(options.apollo.plugins ?? []),
      useStorableInput<Ctx>(),
      useRequestLog<Ctx>(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      production
        ? ApolloServerPluginLandingPageProductionDefault({ footer: false })
        : ApolloServerPluginLandingPageLocalDefault({ footer: false }),
    ],
  } as ApolloServerOptions<Ctx>);
  await apollo.start();

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const ready = options.ready ?? (async () => true);
  app.get('/ready', async (_req, res) => {
    const ok = await ready().catch(() => false);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'unavailable' });
  });
  const metrics = options.metrics;
  const metricsServer =
    metrics && options.metricsPort !== undefined ? express().disable('x-powered-by') : undefined;
  if (metrics) {
    (metricsServer ?? app).get('/metrics', async (_req, res) => {
      const { contentType, body } = await metrics();
      res.type(contentType).send(body);
    });
  }
  app.use(
    '/graphql',
    ...(options.edge ?? []),
    traceRequests(options.component),
    (req, res, next) => {
      res.locals.requestId = requestIdOf(req.get(REQUEST_ID_HEADER));
      res.set(REQUEST_ID_HEADER, res.locals.requestId as string);
      next();
    },
    express.json({ limit: options.bodyLimit ?? '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const requestId = res.locals.requestId as string;
        return options.context({ req, res, requestId, log: log.child({ requestId }) });
      },
    }),
  );
  // Body parser failures answer in GraphQL's shape, not as an HTML page.
  app.use(
    (
      err: { type?: string; status?: number; message: string },
      _req: express.Request,
      res: express.Response,
      next: express.NextFunction,
    ) => {
      if (err.type === 'entity.too.large') {
        res.status(413).json({
          errors: [
            {
              message: `The request body is larger than ${options.bodyLimit ?? '1mb'}.`,
              extensions: { code: ErrorCode.OPERATION_LIMIT, limit: 'bodySize' },
            },
          ],
        });
      } else if (err.status && err.status < 500) {
        res.status(err.status).json({
          errors: [{ message: err.message, extensions: { code: 'BAD_REQUEST' } }],
        });
      } else {
        next(err);
      }
    },
  );

  await listen(httpServer, options.port, options.host);
  const { port } = httpServer.address() as AddressInfo;
  let metricsHttp: http.Server | undefined;
  let metricsUrl: string | undefined;
  if (metricsServer) {
    metricsHttp = http.createServer(metricsServer);
    await listen(metricsHttp, options.metricsPort!, options.host);
    metricsUrl = `http://${options.host}:${(metricsHttp.address() as AddressInfo).port}/metrics`;
  }
  const url = `http://${options.host}:${port}/graphql`;
  const stopSubscriptions =
    options.subscriptions && schema
      ? serveSubscriptions(httpServer, schema, options, options.subscriptions)
      : undefined;
  const detach = options.attach?.(httpServer);
  log.info({ url, subscriptions: !!stopSubscriptions || !!detach }, 'listening');
  let closing: Promise<void> | undefined;
  const close = async () => {
    // Sockets first: Apollo's drain waits for every open connection, WebSockets included.
    await stopSubscriptions?.();
    await detach?.();
    await apollo.stop();
    if (metricsHttp) await new Promise((resolve) => metricsHttp.close(resolve));
  };
  return {
    url,
    port,
    httpServer,
    ...(metricsUrl ? { metricsUrl } : {}),
    close: () => (closing ??= close()),
  };
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
