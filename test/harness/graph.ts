import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect } from 'vitest';
import {
  startGateway,
  UNLIMITED_EDGE,
  type EdgeOptions,
  type GatewayOptions,
  type RunningGateway,
} from '../../gateway/server.js';
import { createLogger } from '../../platform/runtime/logger.js';
import {
  startSubgraph,
  type RunningSubgraph,
  type SubgraphDefinition,
} from '../../platform/subgraph.js';
import { subgraphs as allSubgraphs } from '../../subgraphs/registry.js';
import { createAuthenticator, type Authenticator } from '../../gateway/auth.js';
import type { OperationLimits } from '../../gateway/limits.js';
import type { SubscriptionLimits } from '../../gateway/subscriptions/server.js';
import type { Logger } from '../../platform/runtime/logger.js';
import { testIdentity, TestIssuer, type TokenOptions } from './auth.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { bearer, post } from './graphql.js';
import { startServiceProcess, type ServiceProcess } from './services.js';

export const silent = createLogger('test', 'silent');

/** Counts the SQL statements each subgraph sends, to prove batching. */
export class QueryCounter {
  readonly statements: string[] = [];
  readonly record = (sql: string) => void this.statements.push(sql);
  reset(): void {
    this.statements.length = 0;
  }
  get count(): number {
    return this.statements.length;
  }
}

/**
 * Settings for tests: no role cache (a role that ends counts at once) and a quick publisher.
 * Tests of the cache itself set their own.
 */
export const TEST_SETTINGS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  meldingsboks: { roleCacheMs: 0, publishIntervalMs: 100, outboxPollMs: 500 },
  varsling: { outboxPollMs: 500, dispatchIntervalMs: 200 },
};

export interface TestSubgraphOptions {
  counter?: QueryCounter;
  /** @default 0 (a free port) */
  port?: number;
  /** @default true */
  seedWhenEmpty?: boolean;
  peers?: Record<string, string>;
  settings?: Record<string, unknown>;
}

/** One subgraph (on a free port unless given one), on the given database, with the demo data loaded. */
export async function startTestSubgraph(
  def: SubgraphDefinition,
  databaseUrl: string,
  options: TestSubgraphOptions = {},
): Promise<RunningSubgraph> {
  return startSubgraph(def, {
    databaseUrl,
    host: '127.0.0.1',
    port: options.port ?? 0,
    log: silent,
    seedWhenEmpty: options.seedWhenEmpty ?? true,
    onQuery: options.counter?.record,
    identity: testIdentity,
    peers: options.peers,
    settings: { ...TEST_SETTINGS[def.name], ...options.settings },
  });
}

export interface TestGraph {
  gateway: RunningGateway;
  subgraphs: Map<string, RunningSubgraph>;
  /** Issues callers' tokens that the gateway trusts. */
  issuer: TestIssuer;
  /** A bearer header for a token with these claims. */
  as(options: TokenOptions): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/** Generous limits, so that tests of other things never trip them. */
export const TEST_LIMITS: OperationLimits = {
  maxDepth: 12,
  maxAliases: 30,
  maxRootFields: 20,
  maxCost: 25_000,
  maxDocumentBytes: 32_768,
};

export interface TestGraphOptions {
  limits?: Partial<OperationLimits>;
  timeouts?: Record<string, number>;
  bodyLimit?: string;
  production?: boolean;
  log?: Logger;
  /** How the gateway verifies tokens. @default JWKS of the graph's TestIssuer */
  auth?: Authenticator;
  subscriptionLimits?: Partial<SubscriptionLimits>;
  /** The public edge (rate limits, shedding, CORS, compression). @default UNLIMITED_EDGE */
  edge?: Partial<EdgeOptions>;
  /** The gateway's own state. @default the graph's database */
  gatewayDatabaseUrl?: string | null;
  metricsPort?: number;
  /** Settings of subgraphs, over TEST_SETTINGS. */
  settings?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** The supergraph the gateway serves. @default 'schema/supergraph.graphql' */
  supergraphPath?: string;
  /** Reload it when the file changes. @default false */
  watchSupergraph?: GatewayOptions['watchSupergraph'];
  /** The explorer at GET /graphql. @default the gateway's (on in development, no headers) */
  explorer?: GatewayOptions['explorer'];
  /** Trusted documents and batching. @default any document with APQ, no batching */
  operations?: GatewayOptions['operations'];
  /** The tick of subscription events' batched entity fetches (ms). @default the gateway's */
  subscriptionBatchMs?: number;
}

/**
 * The whole graph, every server on a free port: subgraphs in process, the gateway in front,
 * verifying tokens against a JWKS on loopback as it would in production.
 */
export async function startTestGraph(
  databaseUrl: string,
  options: TestGraphOptions = {},
): Promise<TestGraph> {
  const log = options.log ?? silent;
  const subgraphs = new Map<string, RunningSubgraph>();
  for (const def of allSubgraphs) {
    subgraphs.set(
      def.name,
      await startSubgraph(def, {
        databaseUrl,
        host: '127.0.0.1',
        port: 0,
        log,
        seedWhenEmpty: true,
        identity: testIdentity,
        production: options.production ?? false,
        peers: Object.fromEntries([...subgraphs].map(([name, s]) => [name, s.url])),
        settings: { ...TEST_SETTINGS[def.name], ...options.settings?.[def.name] },
      }),
    );
  }
  const issuer = await TestIssuer.start();
  const gateway = await startGateway({
    supergraphPath: options.supergraphPath ?? 'schema/supergraph.graphql',
    watchSupergraph: options.watchSupergraph,
    subgraphUrls: Object.fromEntries([...subgraphs].map(([name, s]) => [name, s.url])),
    host: '127.0.0.1',
    port: 0,
    timeoutMs: 5_000,
    timeouts: options.timeouts ?? {},
    auth:
      options.auth ??
      (await createAuthenticator({
        jwksUrl: issuer.jwksUrl,
        issuer: TestIssuer.ISSUER,
        audience: TestIssuer.AUDIENCE,
        devKeyPath: '/nonexistent',
      })),
    bodyLimit: options.bodyLimit,
    identity: testIdentity,
    limits: { ...TEST_LIMITS, ...options.limits },
    subscriptionLimits: options.subscriptionLimits,
    edge: { ...UNLIMITED_EDGE, ...options.edge },
    databaseUrl:
      options.gatewayDatabaseUrl === null ? undefined : (options.gatewayDatabaseUrl ?? databaseUrl),
    metricsPort: options.metricsPort,
    subscriptionBatchMs: options.subscriptionBatchMs,
    production: options.production ?? false,
    explorer: options.explorer,
    operations: options.operations,
    log,
  });
  return {
    gateway,
    subgraphs,
    issuer,
    as: async (o) => bearer(await issuer.token(o)),
    close: async () => {
      await gateway.close();
      for (const s of subgraphs.values()) await s.close();
      await issuer.close();
    },
  };
}

export interface SubgraphFixture {
  db: TestDatabase;
  subgraph: RunningSubgraph;
  /** The statements this subgraph has sent since the last `sql.reset()`. */
  sql: QueryCounter;
  /** The subgraphs it calls, by name. */
  peers: Map<string, RunningSubgraph>;
}

/**
 * Registers hooks that start `def` alone on a database of its own (with the demo data unless told
 * otherwise) before the file's tests and stop it after; the fixture's fields are set once
 * `beforeAll` has run.
 */
export function useTestSubgraph(
  def: SubgraphDefinition,
  options: {
    demoData?: boolean;
    /** Subgraphs this one calls, started first on the same database. */
    peers?: SubgraphDefinition[];
    settings?: Record<string, unknown>;
  } = {},
): SubgraphFixture {
  const fixture = { sql: new QueryCounter(), peers: new Map() } as SubgraphFixture;
  beforeAll(async () => {
    fixture.db = await createTestDatabase();
    for (const peer of options.peers ?? []) {
      fixture.peers.set(peer.name, await startTestSubgraph(peer, fixture.db.url));
    }
    fixture.subgraph = await startTestSubgraph(def, fixture.db.url, {
      counter: fixture.sql,
      seedWhenEmpty: options.demoData ?? true,
      peers: Object.fromEntries([...fixture.peers].map(([name, s]) => [name, s.url])),
      settings: options.settings,
    });
  });
  afterAll(async () => {
    await fixture.subgraph?.close();
    for (const peer of fixture.peers?.values() ?? []) await peer.close();
    await fixture.db?.drop();
  });
  return fixture;
}

/** Asserts that the subgraph serves, in `_service { sdl }`, exactly the SDL committed in schema/. */
export async function expectCommittedSdl(subgraph: RunningSubgraph): Promise<void> {
  const r = await post(subgraph.url, '{ _service { sdl } }');
  expect(r.data?._service.sdl + '\n').toBe(
    await readFile(`schema/${subgraph.name}.graphql`, 'utf8'),
  );
}

/**
 * Another gateway instance in front of the graph's subgraphs, as a second replica would be:
 * the same issuer; budgets and resume positions in `databaseUrl` when given, else its own memory.
 */
export async function startAnotherGateway(
  graph: TestGraph,
  options: {
    edge?: Partial<EdgeOptions>;
    databaseUrl?: string;
    /** Overrides of where this instance reaches a subgraph (a proxy in front of it). */
    subgraphUrls?: Record<string, string>;
    subscriptionLimits?: Partial<SubscriptionLimits>;
  } = {},
): Promise<RunningGateway> {
  return startGateway({
    supergraphPath: 'schema/supergraph.graphql',
    subgraphUrls: {
      ...Object.fromEntries([...graph.subgraphs].map(([n, s]) => [n, s.url])),
      ...options.subgraphUrls,
    },
    subscriptionLimits: options.subscriptionLimits,
    host: '127.0.0.1',
    port: 0,
    timeoutMs: 5_000,
    auth: await createAuthenticator({
      jwksUrl: graph.issuer.jwksUrl,
      issuer: TestIssuer.ISSUER,
      audience: TestIssuer.AUDIENCE,
      devKeyPath: '/nonexistent',
    }),
    identity: testIdentity,
    limits: TEST_LIMITS,
    edge: { ...UNLIMITED_EDGE, ...options.edge },
    databaseUrl: options.databaseUrl,
    production: false,
    log: silent,
  });
}

/**
 * A gateway in front of the graph's subgraphs in a process of its own (dist/gateway/main.js),
 * trusting the graph's issuer, on `port`: for tests that kill, stop or signal it. `env` adds to
 * the settings (DATABASE_URL, SUPERGRAPH_PATH, drain timings …).
 */
export function startGatewayProcess(
  graph: TestGraph,
  port: number,
  env: Record<string, string> = {},
): ServiceProcess {
  return startServiceProcess({
    name: 'gateway',
    script: ['dist/gateway/main.js'],
    port,
    portVariable: 'PORT',
    env: {
      SUBGRAPH_URLS: [...graph.subgraphs].map(([n, s]) => `${n}=${s.url}`).join(','),
      AUTH_JWKS_URL: graph.issuer.jwksUrl,
      AUTH_ISSUER: TestIssuer.ISSUER,
      AUTH_AUDIENCE: TestIssuer.AUDIENCE,
      INTERNAL_AUTH_SECRET: 'test secret for the internal identity, 32+ chars',
      ...env,
    },
  });
}

export interface GraphFixture {
  db: TestDatabase;
  graph: TestGraph;
}

/**
 * Registers hooks that start the whole graph (every subgraph and the gateway) on a database of
 * its own before the file's tests and stop it after; the fixture's fields are set once
 * `beforeAll` has run.
 */
export function useTestGraph(options?: TestGraphOptions): GraphFixture {
  const fixture = {} as GraphFixture;
  beforeAll(async () => {
    fixture.db = await createTestDatabase();
    fixture.graph = await startTestGraph(fixture.db.url, options);
  });
  afterAll(async () => {
    await fixture.graph?.close();
    await fixture.db?.drop();
  });
  return fixture;
}
