import { z } from 'zod';
import { Scope } from '../platform/auth/caller.js';
import { DEV_KEY_PATH } from '../platform/auth/devKeys.js';
import { commonEnv, list, optionalUrl, pairs, port, positiveInt } from '../platform/runtime/env.js';

export const gatewayEnv = commonEnv.extend({
  /** Port of the gateway's HTTP endpoint. */
  PORT: port(4000),
  /** The composed supergraph the gateway executes. */
  SUPERGRAPH_PATH: z.string().default('schema/supergraph.graphql'),
  /** Reload the supergraph when its file changes (SIGHUP reloads it either way). */
  SUPERGRAPH_WATCH: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** Quiet time after a change to the supergraph's directory before the file is read, in ms. */
  SUPERGRAPH_WATCH_DEBOUNCE_MS: positiveInt(250),
  /** Where each subgraph listens (`name=url,…`); unset ones use the URL in the supergraph. */
  SUBGRAPH_URLS: pairs(z.url()),
  /** Whose query planner plans: Hive Router's (Apollo's where its addon cannot load) or Apollo's. */
  GATEWAY_QUERY_PLANNER: z.enum(['hive', 'apollo']).default('hive'),
  /** Deadline for one subgraph request, in milliseconds. */
  SUBGRAPH_TIMEOUT_MS: positiveInt(10_000),
  /** Per-subgraph deadlines (`name=ms,…`) overriding SUBGRAPH_TIMEOUT_MS. */
  SUBGRAPH_TIMEOUTS: pairs(z.coerce.number().int().positive()),
  /**
   * `on`: an identical subgraph query under way is shared by concurrent requests of the same
   * caller; `off`: every request sends its own (within one request identical fetches are always
   * sent once). The benchmark turns it off to measure the gateway without that shortcut.
   */
  GATEWAY_SHARE_FETCHES: z
    .enum(['on', 'off'])
    .default('on')
    .transform((v) => v === 'on'),
  /**
   * Milliseconds over which the rest-of-plan `_entities` fetches of concurrent subscription
   * events are gathered into one request per subgraph and caller; 0 sends each on its own.
   */
  GATEWAY_SUBSCRIPTION_BATCH_MS: z.coerce.number().int().min(0).max(100).default(2),

  /** Production identity: a JWKS URL with the issuer and audience tokens must carry. */
  AUTH_JWKS_URL: optionalUrl(),
  AUTH_ISSUER: z.string().optional(),
  AUTH_AUDIENCE: z.string().optional(),
  /** How long the JWKS (and a token verified with it) is kept, in seconds. */
  AUTH_JWKS_CACHE_MAX_AGE_S: positiveInt(600),
  /** A token with a `kid` the kept JWKS lacks refetches it at most once in this many seconds. */
  AUTH_JWKS_COOLDOWN_S: positiveInt(30),
  /** Development identity (no JWKS): the key pair `npm run token` signs with. */
  AUTH_DEV_KEY_PATH: z.string().default(DEV_KEY_PATH),
  /** Longest token lifetime accepted (exp − iat, and exp − now), in seconds. */
  AUTH_MAX_TOKEN_LIFETIME_S: positiveInt(86_400),

  /** The gateway's own state (rate-limit budgets) in schema `gateway`; unset: in memory. */
  DATABASE_URL: optionalUrl(),
  /** Rate limits: window, cost points per window and requests in flight, per token and per address. */
  RATE_LIMIT_WINDOW_S: positiveInt(60),
  RATE_LIMIT_POINTS: positiveInt(100_000),
  RATE_LIMIT_IN_FLIGHT: positiveInt(32),
  RATE_LIMIT_ANONYMOUS_POINTS: positiveInt(10_000),
  RATE_LIMIT_ANONYMOUS_IN_FLIGHT: positiveInt(8),
  /** A refusal (429) goes out after this many ms: a client retrying in a loop is slowed. 0: at once. */
  RATE_LIMIT_TARPIT_MS: z.coerce.number().int().min(0).default(1_000),
  /** Proxies whose X-Forwarded-For is believed: addresses, CIDRs, `loopback`, `uniquelocal`. */
  TRUSTED_PROXIES: list(),
  /** New requests get 503 while the event loop is later than this, in milliseconds. */
  LOAD_SHED_LAG_MS: positiveInt(500),
  /** Browser origins allowed (CORS); development also allows http://localhost:* and 127.0.0.1:*. */
  CORS_ORIGINS: list(),
  /** Answers larger than this are compressed (br or gzip, as the client accepts). */
  COMPRESSION_THRESHOLD_BYTES: z.coerce.number().int().min(0).default(1024),
  /** GraphiQL at GET /graphql for browsers. Unset: on in development, off in production. */
  EXPLORER: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .enum(['true', 'false'])
      .optional()
      .transform((v) => (v === undefined ? undefined : v === 'true')),
  ),
  /**
   * Development only (the gateway's own dev keys, no AUTH_JWKS_URL): the explorer's headers
   * editor opens with a token for this enhet (`org`) with these scopes. Unset org: no token.
   */
  EXPLORER_TOKEN_ORG: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .regex(/^\d{9}$/, 'must be nine digits')
      .optional(),
  ),
  EXPLORER_TOKEN_SCOPE: z.string().default(Scope.DPV_READ),
  /** Port of `/metrics` (0: a free one). Unset: 9464 in production, the gateway's port otherwise. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),

  /** Operation limits; see gateway/limits.ts. */
  LIMIT_MAX_DEPTH: positiveInt(12),
  LIMIT_MAX_ALIASES: positiveInt(30),
  LIMIT_MAX_ROOT_FIELDS: positiveInt(20),
  LIMIT_MAX_COST: positiveInt(25_000),
  LIMIT_MAX_DOCUMENT_BYTES: positiveInt(32_768),
  /** graphql-ws: open connections one token may hold. */
  WS_MAX_CONNECTIONS_PER_TOKEN: positiveInt(20),
  /** graphql-ws: operations under way on one connection. */
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: positiveInt(100),
  /** graphql-ws: events a slow client may fall behind before its connection is closed (1013). */
  WS_MAX_BUFFERED_EVENTS: positiveInt(1_000),
  /** graphql-ws: bytes a slow client may fall behind (queued events and its socket's buffer). */
  WS_MAX_BUFFERED_BYTES: positiveInt(4 * 1024 * 1024),
  /** graphql-ws: anonymous connections in all (past it: 1013). */
  WS_MAX_ANONYMOUS_CONNECTIONS: positiveInt(1_000),
  /** graphql-ws: how long a lost socket's subscriptions stay resumable from what it confirmed, in s. */
  WS_RESUME_GRACE_S: positiveInt(300),
  /** graphql-ws: how long a subscription keeps trying to get back to a lost subgraph, in s. */
  WS_UPSTREAM_GIVE_UP_S: positiveInt(60),
  /** graphql-ws: sockets to each subgraph that subscriptions are spread over. */
  WS_UPSTREAM_CONNECTIONS: positiveInt(4),
  /** Multipart HTTP subscriptions: a `{}` heartbeat part this often, in ms (Apollo Router: 5 s). */
  SUBSCRIPTION_HEARTBEAT_MS: positiveInt(5_000),
  /**
   * On SIGTERM `/ready` turns 503 at once; the gateway goes on serving this many ms before it
   * stops accepting connections, so that the load balancer sees it. 0 in development.
   */
  GATEWAY_DRAIN_DELAY_MS: z.coerce.number().int().min(0).default(0),
  /** Then requests in flight get this many ms to finish before their connections are cut. */
  GATEWAY_DRAIN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  /**
   * A JSON manifest of trusted documents (hash → document, or Apollo's persisted-query manifest):
   * when set, only its operations run, named by `documentId` or a persistedQuery `sha256Hash`,
   * on HTTP and graphql-ws alike, and APQ is off. Unset: any document, with APQ.
   */
  GATEWAY_PERSISTED_DOCUMENTS: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().optional(),
  ),
  /** Operations one JSON array body may batch; 0: batching is off. Each counts against the limits. */
  GATEWAY_MAX_BATCH_SIZE: z.coerce.number().int().min(0).max(100).default(0),
  /** Largest request body (express/body-parser syntax). */
  MAX_BODY_SIZE: z.string().default('1mb'),
});

export type GatewayEnv = z.output<typeof gatewayEnv>;
