import { readFile } from 'node:fs/promises';
import { once } from '../platform/once.js';
import type { InternalIdentity } from '../platform/auth/internalIdentity.js';
import type { Logger } from '../platform/logger.js';
import { startHttpService, type HttpService } from '../platform/server.js';
import type { Authenticator } from './auth.js';
import type { GatewayContext } from './context.js';
import { createExecutor } from './executor/index.js';
import { checkDocumentSize, useOperationLimits, type OperationLimits } from './limits.js';
import { GatewayMetrics } from './metrics.js';
import { useMetrics } from './useMetrics.js';
import { serveGatewaySubscriptions, type SubscriptionLimits } from './subscriptions/server.js';
import { subgraphsOf, type SubgraphEndpoint } from './supergraph.js';

export const DEFAULT_SUBSCRIPTION_LIMITS: SubscriptionLimits = {
  maxConnectionsPerToken: 20,
  maxSubscriptionsPerConnection: 100,
  maxBufferedEvents: 1_000,
};

export interface GatewayOptions {
  /** Path of the composed supergraph SDL. */
  supergraphPath: string;
  /** Overrides of the subgraph URLs composed into the supergraph, by subgraph name. */
  subgraphUrls: Record<string, string>;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Deadline of one subgraph request in ms, and overrides by subgraph name. */
  timeoutMs: number;
  timeouts?: Record<string, number>;
  /** Verifies callers' tokens. */
  auth: Authenticator;
  /** Signs the caller forwarded to subgraphs. */
  identity: InternalIdentity;
  limits: OperationLimits;
  /** graphql-ws limits. @default DEFAULT_SUBSCRIPTION_LIMITS */
  subscriptionLimits?: SubscriptionLimits;
  /** Largest request body. @default '1mb' */
  bodyLimit?: string;
  production: boolean;
  log: Logger;
}

export interface RunningGateway extends HttpService {
  subgraphs: SubgraphEndpoint[];
  metrics: GatewayMetrics;
}

/**
 * Serves the supergraph at `/graphql`: verifies the caller, enforces the operation limits,
 * forwards the caller and request id to the subgraphs; `/ready` is 200 once every subgraph answers.
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const log = options.log.child({ component: 'gateway' });
  const supergraphSdl = await readFile(options.supergraphPath, 'utf8');
  const subgraphs = subgraphsOf(supergraphSdl).map((s) => ({
    name: s.name,
    url: options.subgraphUrls[s.name] ?? s.url,
  }));
  const metrics = new GatewayMetrics();
  const timeoutMs = (subgraph: string) => options.timeouts?.[subgraph] ?? options.timeoutMs;
  const executor = createExecutor({ supergraphSdl, subgraphs, timeoutMs, metrics, log });
  const service = await startHttpService<GatewayContext>({
    component: 'gateway',
    attach: (httpServer) =>
      serveGatewaySubscriptions(httpServer, {
        executor,
        subgraphUrls: new Map(subgraphs.map((s) => [s.name, s.url])),
        auth: options.auth,
        identity: options.identity,
        limits: options.subscriptionLimits ?? DEFAULT_SUBSCRIPTION_LIMITS,
        operationLimits: options.limits,
        metrics,
        production: options.production,
        log,
      }),
    apollo: {
      gateway: executor,
      includeStacktraceInErrorResponses: !options.production,
      plugins: [useOperationLimits(options.limits), useMetrics(metrics)],
    },
    context: async ({ req, requestId, log: requestLog }) => {
      checkDocumentSize((req.body as { query?: unknown } | undefined)?.query, options.limits);
      let caller;
      try {
        caller = await options.auth.authenticate(req.get('authorization'));
      } catch (err) {
        metrics.requests.inc({ operation: 'unknown', outcome: 'unauthenticated' });
        throw err;
      }
      return {
        requestId,
        log: requestLog,
        caller,
        forwardedIdentity: once(async () =>
          caller.anonymous ? null : options.identity.signReused(caller),
        ),
      };
    },
    host: options.host,
    port: options.port,
    production: options.production,
    bodyLimit: options.bodyLimit,
    ready: async () => (await Promise.all(subgraphs.map(answers))).every(Boolean),
    metrics: () => metrics.render(),
    log,
  });
  return { ...service, subgraphs, metrics };
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
