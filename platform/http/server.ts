import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ApolloServer, type ApolloServerOptions } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { REQUEST_ID_HEADER } from '../auth/internalIdentity.js';
import { ErrorCode, errorFormatter } from '../graphql/errors.js';
import { useStorableInput } from '../graphql/storable.js';
import type { Logger } from '../runtime/logger.js';
import { serveExplorer, type ExplorerOptions } from './explorer.js';
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
  /** Hide internals: no introspection, no explorer unless `explorer` says so, masked internal errors. */
  production: boolean;
  /**
   * GraphiQL at `GET /graphql` for browsers (see explorer.ts); false: none.
   * @default {} in development, false in production
   */
  explorer?: ExplorerOptions | false | undefined;
  /**
   * Apollo Server's CSRF prevention on `/graphql`; false where an `edge` middleware does the
   * check itself (the gateway's, see gateway/edge/csrf.ts). @default true
   */
  csrfPrevention?: boolean;
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
  /** Middleware on the GraphQL path once the JSON body is read, before Apollo Server. */
  afterBody?: express.RequestHandler[];
  /** Serves GraphQL subscriptions over graphql-ws on the same path (/graphql) when given. */
  subscriptions?: SubscriptionOptions<Ctx>;
  /**
   * Attaches another server to the HTTP server once it listens (the gateway's graphql-ws);
   * returns the function that closes it, called first on close.
   */
  attach?: (httpServer: http.Server) => () => Promise<void>;
  /** How `close()` drains. @default DEFAULT_DRAIN */
  drain?: DrainOptions | undefined;
  log: Logger;
}

/** The steps of a drain that take time (see {@link HttpService.close}). */
export interface DrainOptions {
  /**
   * After `/ready` turns 503, how long the service goes on serving as before, in ms, so that a
   * load balancer sees it and stops sending new connections here.
   */
  delayMs: number;
  /** How long requests in flight may take to finish once no new connection is accepted, in ms. */
  graceMs: number;
}

export const DEFAULT_DRAIN: DrainOptions = { delayMs: 0, graceMs: 10_000 };

/** A listening HTTP service. */
export interface HttpService {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4001/graphql`. */
  url: string;
  port: number;
  httpServer: http.Server;
  /** Where `/metrics` is served when it has a port of its own. */
  metricsUrl?: string;
  /**
   * Drains, then stops: `/ready` answers 503 at once and every answer from then on carries
   * `Connection: close`; after `drain.delayMs` no new connection is accepted and idle keep-alive
   * connections are closed; requests in flight get up to `drain.graceMs` to finish (then their
   * connections are cut); then WebSockets are closed with 1012, and the servers stop.
   */
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
    csrfPrevention: options.csrfPrevention ?? true,
    formatError: errorFormatter(production, log),
    // No "Did you mean …?" naming fields the caller did not ask for.
    hideSchemaDetailsFromClientErrors: production,
    // Shutdown order is the process's to decide (platform/shutdown.ts), not each server's.
    stopOnTerminationSignals: false,
    plugins: [
      ...(options.apollo.plugins ?? []),
      useStorableInput<Ctx>(),
      useRequestLog<Ctx>(),
      // Apollo's landing pages load Apollo Sandbox from a CDN: the explorer is our own.
      ApolloServerPluginLandingPageDisabled(),
    ],
  } as ApolloServerOptions<Ctx>);
  await apollo.start();

  // Requests in flight, so that a drain can wait for them (WebSocket upgrades are not requests).
  const inFlight = new Set<http.ServerResponse>();
  let draining = false;
  let settled: (() => void) | undefined;
  httpServer.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    inFlight.add(res);
    // Each answer of a draining service ends its connection: the client's next request opens a
    // new one, which the load balancer sends elsewhere.
    if (draining) res.setHeader('Connection', 'close');
    res.once('close', () => {
      inFlight.delete(res);
      if (inFlight.size === 0) settled?.();
    });
  });

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const ready = options.ready ?? (async () => true);
  app.get('/ready', async (_req, res) => {
    const ok = !draining && (await ready().catch(() => false));
    res
      .status(ok ? 200 : 503)
      .json({ status: ok ? 'ready' : draining ? 'draining' : 'unavailable' });
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
  const explorer = options.explorer ?? (production ? false : {});
  if (explorer) {
    serveExplorer(app, { ...explorer, subscriptions: !!options.subscriptions || !!options.attach });
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
    ...(options.afterBody ?? []),
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
  const drain = options.drain ?? DEFAULT_DRAIN;
  let closing: Promise<void> | undefined;
  const close = async () => {
    // 1. Not ready: a load balancer stops sending. Answers close their connections.
    draining = true;
    for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    log.info({ ...drain, inFlight: inFlight.size }, 'draining');
    // 2. Serve as before while the load balancer notices.
    if (drain.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, drain.delayMs));
    // 3. No new connections; idle keep-alive ones are closed (busy ones close after their answer).
    const stopped = new Promise((resolve) => httpServer.close(resolve));
    httpServer.closeIdleConnections();
    // 4. Requests in flight finish, within the grace period.
    if (inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => (settled = resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, drain.graceMs))),
      ]);
      clearTimeout(timer);
    }
    // 5. WebSockets: closed with 1012, which clients retry (on another instance).
    await stopSubscriptions?.();
    await detach?.();
    // What is still in flight after the grace period is cut off.
    if (inFlight.size > 0) {
      log.warn(
        { inFlight: inFlight.size, graceMs: drain.graceMs },
        'requests cut off at the end of the drain',
      );
    }
    httpServer.closeAllConnections();
    await stopped;
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
