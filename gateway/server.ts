import { readFile } from 'node:fs/promises';
import compression from 'compression';
import type express from 'express';
import { ANONYMOUS, type Caller } from '../platform/auth/caller.js';
import type { ClientError } from '../platform/graphql/errors.js';
import { once } from '../platform/runtime/once.js';
import type { InternalIdentity } from '../platform/auth/internalIdentity.js';
import type { Logger } from '../platform/runtime/logger.js';
import type { ExplorerOptions } from '../platform/http/explorer.js';
import { startHttpService, type DrainOptions, type HttpService } from '../platform/http/server.js';
import type { Authenticator } from './auth.js';
import type { GatewayContext } from './context.js';
import { budgetKeyOf, CallerBudgets, type BudgetKey, type RateLimits } from './edge/budget.js';
import { clientAddressResolver } from './edge/clientAddress.js';
import { corsFor, originAllowed, type CorsOptions } from './edge/cors.js';
import { csrfPrevention } from './edge/csrf.js';
import { requestOperations, type RequestOperationsOptions } from './edge/operations.js';
import { LoadShedder } from './edge/shed.js';
import { createExecutor } from './executor/index.js';
import { openGatewayState } from './state/index.js';
import { checkDocumentSize, useOperationLimits, type OperationLimits } from './limits.js';
import { GatewayMetrics } from './metrics.js';
import { useMetrics } from './useMetrics.js';
import { useCacheHeaders } from './cacheHeaders.js';
import { useIncrementalDelivery } from './useIncrementalDelivery.js';
import { socketErrorFormatter } from '../platform/http/subscriptions.js';
import { serveGatewaySubscriptions, type SubscriptionLimits } from './subscriptions/server.js';
import type { SubgraphEndpoint } from './supergraph.js';
import { buildGeneration } from './generation.js';
import type { QueryPlannerName } from './executor/planners.js';
import { SubgraphClients } from './executor/subgraphClients.js';
import { SupergraphReloader, type ReloadOutcome, type WatchOptions } from './reload.js';

export const DEFAULT_SUBSCRIPTION_LIMITS: SubscriptionLimits = {
  maxConnectionsPerToken: 20,
  maxSubscriptionsPerConnection: 100,
  maxBufferedEvents: 1_000,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxAnonymousConnections: 1_000,
  resumeGraceMs: 5 * 60_000,
  upstreamGiveUpMs: 60_000,
  upstreamConnections: 4,
  heartbeatMs: 5_000,
};

/** What the gateway does at its public edge before an operation runs. */
export interface EdgeOptions {
  rateLimits: RateLimits;
  /** Proxies whose `X-Forwarded-For` names the client (see edge/clientAddress.ts). */
  trustedProxies: readonly string[];
  /** Event-loop lag (ms) past which new requests are shed with 503. */
  loadShedLagMs: number;
  cors: CorsOptions;
  /** Answers of at least this many bytes are compressed. */
  compressionThreshold: number;
}

/** Generous budgets, for tests and benchmarks of other things. */
export const UNLIMITED_EDGE: EdgeOptions = {
  rateLimits: {
    windowSeconds: 60,
    caller: { points: 1e12, inFlight: 1e6 },
    anonymous: { points: 1e12, inFlight: 1e6 },
  },
  trustedProxies: [],
  loadShedLagMs: 60_000,
  cors: { origins: [], allowLocal: true },
  compressionThreshold: 1024,
};

export interface GatewayOptions {
  /** Path of the composed supergraph SDL. */
  supergraphPath: string;
  /**
   * Reload the supergraph when its file changes (see gateway/reload.ts); SIGHUP and `reload()`
   * reload it either way. @default false
   */
  watchSupergraph?: boolean | WatchOptions | undefined;
  /** Overrides of the subgraph URLs composed into the supergraph, by subgraph name. */
  subgraphUrls: Record<string, string>;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * Whose query planner plans: Hive Router's (Apollo's where its addon cannot load) or Apollo's.
   * @default 'hive'
   */
  queryPlanner?: QueryPlannerName | undefined;
  /** Deadline of one subgraph request in ms, and overrides by subgraph name. */
  timeoutMs: number;
  timeouts?: Record<string, number>;
  /**
   * Share an identical subgraph query under way among concurrent requests of the same caller.
   * @default true
   */
  shareFetches?: boolean | undefined;
  /** Tick of the subscription events' batched entity fetches, in ms; 0 for none. @default 2 */
  subscriptionBatchMs?: number | undefined;
  /** Verifies callers' tokens. */
  auth: Authenticator;
  /** Signs the caller forwarded to subgraphs. */
  identity: InternalIdentity;
  limits: OperationLimits;
  /** graphql-ws limits. @default DEFAULT_SUBSCRIPTION_LIMITS */
  subscriptionLimits?: Partial<SubscriptionLimits> | undefined;
  /** Largest request body. @default '1mb' */
  bodyLimit?: string;
  /**
   * Trusted documents (only a manifest's operations run; APQ is off) and operation batching.
   * @default any document with APQ, no batching
   */
  operations?: RequestOperationsOptions | undefined;
  edge: EdgeOptions;
  /** The gateway's own state (shared rate-limit budgets); unset: each instance in memory. */
  databaseUrl?: string | undefined;
  /** Serve `/metrics` on this port instead of the gateway's (0: a free one). */
  metricsPort?: number | undefined;
  /** How `close()` drains (SIGTERM). @default DEFAULT_DRAIN (platform/http/server.ts) */
  drain?: DrainOptions | undefined;
  production: boolean;
  /**
   * GraphiQL at `GET /graphql` for browsers, with subscriptions over graphql-ws; false: none.
   * @default {} (no headers) in development, false in production
   */
  explorer?: ExplorerOptions | false | undefined;
  log: Logger;
}

export interface RunningGateway extends HttpService {
  /** The subgraphs of the supergraph served now. */
  readonly subgraphs: readonly SubgraphEndpoint[];
  /** Reads the supergraph file again and swaps it in when it changed and is valid. */
  reload(trigger?: string): Promise<ReloadOutcome>;
  metrics: GatewayMetrics;
  shedder: LoadShedder;
}

/**
 * Serves the supergraph at `/graphql`: verifies the caller, enforces the operation limits,
 * forwards the caller and request id to the subgraphs; `/ready` is 200 once every subgraph answers.
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const log = options.log.child({ component: 'gateway' });
  log.info({ signsWith: options.identity.keyId }, 'internal identity keys');
  const metrics = new GatewayMetrics();
  const timeoutMs = (subgraph: string) => options.timeouts?.[subgraph] ?? options.timeoutMs;
  const clients = new SubgraphClients(timeoutMs);
  // Load shedding starts once the first generation is built: only a reload's stall is excused.
  let excuseStall = () => {};
  const build = (sdl: string, number: number) => {
    try {
      return buildGeneration(sdl, number, {
        subgraphUrls: options.subgraphUrls,
        production: options.production,
        clients,
        queryPlanner: options.queryPlanner,
        log,
      });
    } finally {
      // Planning a supergraph holds the loop for a while: the gateway's own doing, not load.
      excuseStall();
    }
  };
  const first = build(await readFile(options.supergraphPath, 'utf8'), 1);
  metrics.servingSupergraph(first.number, first.hash);
  log.info({ queryPlanner: first.planner.backend.name }, 'query planner');
  const executor = createExecutor({
    generation: first,
    clients,
    metrics,
    log,
    shareQueries: options.shareFetches,
    entityBatchMs: options.subscriptionBatchMs,
  });
  // A request of the old generation may still send a fetch: its clients close after a grace.
  const retireAfterMs =
    2 * Math.max(options.timeoutMs, ...Object.values(options.timeouts ?? {})) + 5_000;
  const reloader = new SupergraphReloader({
    path: options.supergraphPath,
    executor,
    build,
    onApplied: (next) => {
      // Apollo Server checks the new schema as it takes it: more of the same stall.
      excuseStall();
      clients.retain(next.clients.values(), retireAfterMs);
    },
    metrics,
    log,
  });
  if (options.watchSupergraph) {
    reloader.watch(options.watchSupergraph === true ? {} : options.watchSupergraph);
  }
  const { edge } = options;
  const state = options.databaseUrl ? await openGatewayState(options.databaseUrl, log) : undefined;
  if (!state && options.production) {
    log.warn('no DATABASE_URL: rate-limit budgets are per instance, not shared');
  }
  const budgets = new CallerBudgets(edge.rateLimits, state?.pool, log);
  const addressOf = clientAddressResolver(edge.trustedProxies);
  const shedder = new LoadShedder(edge.loadShedLagMs);
  excuseStall = () => shedder.excuse();
  const compress = compression({
    threshold: edge.compressionThreshold,
    // Streamed answers (incremental delivery, event streams) go out as they are written.
    filter: (req, res) =>
      !/^(multipart\/mixed|text\/event-stream)/.test(String(res.getHeader('content-type') ?? '')) &&
      compression.filter(req, res),
  });
  /**
   * Before the body is read: who the caller is (from the Authorization header), whose budget it
   * spends, and whether that budget has room for one more request in flight.
   */
  const admit: express.RequestHandler = (req, res, next) => {
    void (async () => {
      let caller: Caller = ANONYMOUS;
      let refused: unknown;
      try {
        caller = await options.auth.authenticate(req.get('authorization'));
      } catch (err) {
        refused = err;
      }
      const budget = budgetKeyOf(caller, addressOf(req));
      for (const [name, value] of budgets.headers(budget)) res.set(name, value);
      try {
        budgets.refuseIfExhausted(budget);
        res.once('close', budgets.enter(budget));
      } catch (err) {
        metrics.requests.inc({ operation: 'unknown', outcome: 'rate_limited' });
        await budgets.pace();
        if (!res.destroyed) sendError(res, err as ClientError);
        return;
      }
      res.locals.admission = { caller, refused, budget } satisfies Admission;
      next();
    })().catch(next);
  };
  const operations = options.operations ?? { maxBatchSize: 0 };
  const subscriptions = serveGatewaySubscriptions({
    executor,
    budgets,
    addressOf,
    auth: options.auth,
    identity: options.identity,
    limits: { ...DEFAULT_SUBSCRIPTION_LIMITS, ...options.subscriptionLimits },
    pool: state?.pool,
    operationLimits: options.limits,
    trustedDocuments: operations.trustedDocuments,
    metrics,
    production: options.production,
    log,
    bodyLimit: options.bodyLimit ?? '1mb',
  });
  const service = await startHttpService<GatewayContext>({
    component: 'gateway',
    // Subscriptions over HTTP before `admit`: a stream is not a request in flight of its budget;
    // the core admits each one (the same budgets, caps and limits as graphql-ws).
    edge: [
      shedder.middleware,
      ...corsFor(edge.cors),
      csrfPrevention(originAllowed(edge.cors)),
      compress,
      ...subscriptions.handlers,
      admit,
    ],
    csrfPrevention: false,
    afterBody: [requestOperations(operations, options.limits, sendError)],
    explorer: options.explorer,
    attach: (httpServer) => {
      subscriptions.attach(httpServer);
      return () => subscriptions.close();
    },
    apollo: {
      gateway: executor,
      allowBatchedHttpRequests: operations.maxBatchSize > 0,
      // With trusted documents, nothing is registered: the manifest is the whole list.
      ...(operations.trustedDocuments ? { persistedQueries: false as const } : {}),
      includeStacktraceInErrorResponses: !options.production,
      plugins: [
        useOperationLimits<GatewayContext>(options.limits, async (cost, context, headers) => {
          const spent = await budgets.spend(context.budget, cost).catch(async (err: unknown) => {
            await budgets.pace();
            throw err;
          });
          for (const [name, value] of budgets.headers(context.budget, spent)) {
            headers.set(name, value);
          }
        }),
        useMetrics(metrics),
        useCacheHeaders(),
        useIncrementalDelivery(socketErrorFormatter(options.production, log)),
      ],
    },
    context: async ({ req, res, requestId, log: requestLog }) => {
      const { caller, refused, budget } = res.locals.admission as Admission;
      if (refused) {
        metrics.requests.inc({ operation: 'unknown', outcome: 'unauthenticated' });
        throw refused;
      }
      checkDocumentSize((req.body as { query?: unknown } | undefined)?.query, options.limits);
      return {
        requestId,
        log: requestLog,
        caller,
        budget,
        forwardedIdentity: once(async () =>
          caller.anonymous ? null : options.identity.signReused(caller),
        ),
        gone: () => res.destroyed && !res.writableFinished,
      };
    },
    host: options.host,
    port: options.port,
    production: options.production,
    bodyLimit: options.bodyLimit,
    ready: async () =>
      !shedder.overloaded &&
      (await Promise.all(executor.generation.subgraphs.map(answers))).every(Boolean),
    metrics: () => metrics.render(),
    metricsPort: options.metricsPort,
    drain: options.drain,
    log,
  });
  // Starting (Apollo checking the schema, the first generation's caches) held the loop: not load.
  shedder.excuse();
  return {
    ...service,
    get subgraphs() {
      return executor.generation.subgraphs;
    },
    reload: (trigger = 'reload()') => reloader.reload(trigger),
    metrics,
    shedder,
    close: once(async () => {
      await reloader.close();
      await subscriptions.endStreams();
      await service.close();
      shedder.stop();
      await state?.close();
    }),
  };
}

/** What `admit` learnt of a request before its body was read. */
interface Admission {
  caller: Caller;
  /** Why the token was refused (the context throws it, as Apollo answers context errors). */
  refused: unknown;
  budget: BudgetKey;
}

/** Answers a ClientError in GraphQL's shape, with its `http` status and headers. */
function sendError(res: express.Response, error: ClientError): void {
  const { http: httpExt, ...extensions } = error.extensions as {
    http?: { status?: number; headers?: Map<string, string> };
  } & Record<string, unknown>;
  for (const [name, value] of httpExt?.headers ?? []) res.set(name, value);
  res.status(httpExt?.status ?? 400).json({ errors: [{ message: error.message, extensions }] });
}

/** True when the subgraph executes a trivial operation within two seconds. */
async function answers(subgraph: SubgraphEndpoint): Promise<boolean> {
  try {
    const res = await fetch(subgraph.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
      signal: AbortSignal.timeout(2000),
    });
    return res.ok;
  } catch {
    return false;
  }
}
