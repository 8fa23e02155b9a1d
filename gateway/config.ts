import path from 'node:path';
import { internalIdentityFrom } from '../platform/auth/internalIdentity.js';
import type { Logger } from '../platform/runtime/logger.js';
import { createAuthenticator } from './auth.js';
import { loadTrustedDocuments } from './edge/operations.js';
import { gatewayExplorer } from './explorer.js';
import type { GatewayEnv } from './env.js';
import type { GatewayOptions } from './server.js';

/** Gateway options from validated configuration. */
export async function gatewayOptionsFrom(env: GatewayEnv, log: Logger): Promise<GatewayOptions> {
  const production = env.NODE_ENV === 'production';
  if (production && !env.AUTH_JWKS_URL) {
    throw new Error(
      'AUTH_JWKS_URL is required when NODE_ENV=production (development keys are refused)',
    );
  }
  const auth = await createAuthenticator({
    jwksUrl: env.AUTH_JWKS_URL,
    issuer: env.AUTH_ISSUER,
    audience: env.AUTH_AUDIENCE,
    jwksCacheMaxAgeMs: env.AUTH_JWKS_CACHE_MAX_AGE_S * 1000,
    jwksCooldownMs: env.AUTH_JWKS_COOLDOWN_S * 1000,
    devKeyPath: path.resolve(env.AUTH_DEV_KEY_PATH),
    maxLifetimeSeconds: env.AUTH_MAX_TOKEN_LIFETIME_S,
  });
  const explorer = gatewayExplorer({
    production,
    enabled: env.EXPLORER,
    auth,
    devKeyPath: path.resolve(env.AUTH_DEV_KEY_PATH),
    tokenOrg: env.EXPLORER_TOKEN_ORG,
    tokenScope: env.EXPLORER_TOKEN_SCOPE,
    tokenTtlSeconds: env.AUTH_MAX_TOKEN_LIFETIME_S,
  });
  return {
    supergraphPath: env.SUPERGRAPH_PATH,
    watchSupergraph: env.SUPERGRAPH_WATCH && { debounceMs: env.SUPERGRAPH_WATCH_DEBOUNCE_MS },
    subgraphUrls: env.SUBGRAPH_URLS,
    host: env.HOST,
    port: env.PORT,
    queryPlanner: env.GATEWAY_QUERY_PLANNER,
    timeoutMs: env.SUBGRAPH_TIMEOUT_MS,
    timeouts: env.SUBGRAPH_TIMEOUTS,
    shareFetches: env.GATEWAY_SHARE_FETCHES,
    subscriptionBatchMs: env.GATEWAY_SUBSCRIPTION_BATCH_MS,
    auth,
    identity: internalIdentityFrom(env),
    limits: {
      maxDepth: env.LIMIT_MAX_DEPTH,
      maxAliases: env.LIMIT_MAX_ALIASES,
      maxRootFields: env.LIMIT_MAX_ROOT_FIELDS,
      maxCost: env.LIMIT_MAX_COST,
      maxDocumentBytes: env.LIMIT_MAX_DOCUMENT_BYTES,
    },
    subscriptionLimits: {
      maxConnectionsPerToken: env.WS_MAX_CONNECTIONS_PER_TOKEN,
      maxSubscriptionsPerConnection: env.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxBufferedEvents: env.WS_MAX_BUFFERED_EVENTS,
      maxBufferedBytes: env.WS_MAX_BUFFERED_BYTES,
      maxAnonymousConnections: env.WS_MAX_ANONYMOUS_CONNECTIONS,
      resumeGraceMs: env.WS_RESUME_GRACE_S * 1000,
      upstreamGiveUpMs: env.WS_UPSTREAM_GIVE_UP_S * 1000,
      upstreamConnections: env.WS_UPSTREAM_CONNECTIONS,
      heartbeatMs: env.SUBSCRIPTION_HEARTBEAT_MS,
    },
    bodyLimit: env.MAX_BODY_SIZE,
    operations: {
      trustedDocuments: env.GATEWAY_PERSISTED_DOCUMENTS
        ? loadTrustedDocuments(path.resolve(env.GATEWAY_PERSISTED_DOCUMENTS))
        : undefined,
      maxBatchSize: env.GATEWAY_MAX_BATCH_SIZE,
    },
    databaseUrl: env.DATABASE_URL,
    edge: {
      rateLimits: {
        windowSeconds: env.RATE_LIMIT_WINDOW_S,
        tarpitMs: env.RATE_LIMIT_TARPIT_MS,
        caller: { points: env.RATE_LIMIT_POINTS, inFlight: env.RATE_LIMIT_IN_FLIGHT },
        anonymous: {
          points: env.RATE_LIMIT_ANONYMOUS_POINTS,
          inFlight: env.RATE_LIMIT_ANONYMOUS_IN_FLIGHT,
        },
      },
      trustedProxies: env.TRUSTED_PROXIES,
      loadShedLagMs: env.LOAD_SHED_LAG_MS,
      cors: { origins: env.CORS_ORIGINS, allowLocal: !production },
      compressionThreshold: env.COMPRESSION_THRESHOLD_BYTES,
    },
    metricsPort: env.METRICS_PORT ?? (production ? 9464 : undefined),
    drain: { delayMs: env.GATEWAY_DRAIN_DELAY_MS, graceMs: env.GATEWAY_DRAIN_GRACE_MS },
    production,
    explorer,
    log,
  };
}
