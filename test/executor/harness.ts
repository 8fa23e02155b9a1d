import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { Supergraph } from '@apollo/federation-internals';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import {
  execute,
  Kind,
  parse,
  validate,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { createAuthenticator } from '../../gateway/auth.js';
import {
  createPlannerBackend,
  QUERY_PLANNERS,
  type QueryPlannerName,
} from '../../gateway/executor/planners.js';
import type { PlanNode, QueryPlan, SubscriptionNode } from '../../gateway/executor/planTypes.js';
import { startGateway, UNLIMITED_EDGE, type RunningGateway } from '../../gateway/server.js';
import { testIdentity, TestIssuer, type TokenOptions } from '../harness/auth.js';
import { bearer } from '../harness/graphql.js';
import { silent, TEST_LIMITS } from '../harness/graph.js';

/** The `@link` every test subgraph starts with. */
export const FEDERATION_2_3 = (imports: string[]) =>
  `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ${JSON.stringify(
    imports.map((i) => (i.startsWith('@') ? i : `@${i}`)),
  )})`;

/** What a subgraph's resolvers see as their context. */
export interface SubgraphContext {
  headers: http.IncomingHttpHeaders;
}

/** A request as a subgraph received it. */
export interface RecordedFetch {
  query: string;
  variables: Record<string, any>;
  operationName?: string;
  headers: http.IncomingHttpHeaders;
}

/** What a test subgraph answers instead of executing, to simulate a broken service. */
export interface Interception {
  status: number;
  /** Sent as JSON, or as is when a string. */
  body: unknown;
}

export interface TestSubgraph {
  name: string;
  /** SDL beginning with `extend schema @link(url: ".../federation/v2.3", import: [...])`. */
  typeDefs: string;
  resolvers: GraphQLResolverMap<SubgraphContext>;
  /** Answers a request instead of the schema when it returns something. */
  intercept?: (fetch: RecordedFetch) => Interception | undefined;
  /** The `cache-control` header of its answers (as Apollo Server computes it from hints). */
  cacheControl?: string;
}

interface RunningSubgraph {
  url: string;
  server: http.Server;
  fetches: RecordedFetch[];
  stopped: boolean;
}

export interface GraphQLHttpResponse {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or for a multipart answer the parsed parts in order. */
  body: any;
  /** The raw `content-type` of the answer. */
  contentType: string;
}

export interface ExecutorGraph {
  /** The gateway's GraphQL endpoint. */
  url: string;
  gateway: RunningGateway;
  supergraphSdl: string;
  /** POSTs an operation to the gateway over HTTP, as a client would. */
  query(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLHttpResponse>;
  /** The requests `subgraph` has received since the start or the last `resetFetches()`. */
  fetches(subgraph: string): RecordedFetch[];
  resetFetches(): void;
  /** The query planner the gateway plans with. */
  planner: QueryPlannerName;
  /** The plan the gateway's query planner builds for `query` on this supergraph. */
  plan(query: string): QueryPlan;
  /** A bearer header for a token the gateway trusts. */
  as(options: TokenOptions): Promise<Record<string, string>>;
  /** Closes a subgraph's server, so that the gateway can no longer reach it. */
  stopSubgraph(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves `def` with graphql-js on 127.0.0.1 (a free port) with a bare node:http server, recording
 * every request it receives.
 */
async function serveSubgraph(def: TestSubgraph): Promise<RunningSubgraph> {
  const schema: GraphQLSchema = buildSubgraphSchema({
    typeDefs: parse(def.typeDefs),
    resolvers: def.resolvers as GraphQLResolverMap<unknown>,
  });
  const fetches: RecordedFetch[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const send = (status: number, body: unknown) => {
          res.statusCode = status;
          res.setHeader('content-type', 'application/json');
          if (def.cacheControl) res.setHeader('cache-control', def.cacheControl);
          res.end(typeof body === 'string' ? body : JSON.stringify(body));
        };
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            query: string;
            variables?: Record<string, any>;
            operationName?: string;
          };
          const fetch: RecordedFetch = {
            query: body.query,
            variables: body.variables ?? {},
            operationName: body.operationName,
            headers: req.headers,
          };
          fetches.push(fetch);
          const intercepted = def.intercept?.(fetch);
          if (intercepted) return send(intercepted.status, intercepted.body);
          const document = parse(body.query);
          const invalid = validate(schema, document);
          if (invalid.length > 0) return send(400, { errors: invalid.map((e) => e.toJSON()) });
          const result = await execute({
            schema,
            document,
            variableValues: body.variables,
            operationName: body.operationName,
            contextValue: { headers: req.headers } satisfies SubgraphContext,
          });
          send(200, result);
        } catch (err) {
          send(500, { errors: [{ message: String(err) }] });
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/graphql`, server, fetches, stopped: false };
}

/** Composes the subgraphs, or throws with every composition error. */
export function compose(defs: TestSubgraph[], urls: Record<string, string>): string {
  const result = composeServices(
    defs.map((def) => ({ name: def.name, url: urls[def.name]!, typeDefs: parse(def.typeDefs) })),
  );
  if (result.errors) {
    throw new Error(
      `Composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`,
    );
  }
  return result.supergraphSdl;
}

/**
 * Starts the subgraphs, composes them, and starts the gateway in front through its public entry,
 * with tokens verified against a JWKS on loopback.
 */
export async function startExecutorGraph(
  defs: TestSubgraph[],
  options: {
    timeouts?: Record<string, number>;
    planner?: QueryPlannerName;
    shareFetches?: boolean;
  } = {},
): Promise<ExecutorGraph> {
  const planner = options.planner ?? 'hive';
  const running = new Map<string, RunningSubgraph>();
  for (const def of defs) running.set(def.name, await serveSubgraph(def));
  const urls = Object.fromEntries([...running].map(([name, s]) => [name, s.url]));
  let supergraphSdl: string;
  try {
    supergraphSdl = compose(defs, urls);
  } catch (err) {
    for (const s of running.values()) s.server.close();
    throw err;
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'dpv-executor-test-'));
  const supergraphPath = path.join(dir, 'supergraph.graphql');
  await writeFile(supergraphPath, supergraphSdl);
  const issuer = await TestIssuer.start();
  const gateway = await startGateway({
    supergraphPath,
    subgraphUrls: urls,
    host: '127.0.0.1',
    port: 0,
    timeoutMs: 5_000,
    timeouts: options.timeouts,
    queryPlanner: planner,
    shareFetches: options.shareFetches,
    auth: await createAuthenticator({
      jwksUrl: issuer.jwksUrl,
      issuer: TestIssuer.ISSUER,
      audience: TestIssuer.AUDIENCE,
      devKeyPath: '/nonexistent',
    }),
    identity: testIdentity,
    limits: TEST_LIMITS,
    edge: UNLIMITED_EDGE,
    production: false,
    log: silent,
  });
  const supergraph = Supergraph.build(supergraphSdl);
  const backend = createPlannerBackend(planner, supergraphSdl, supergraph, supergraph.apiSchema());
  const stop = (s: RunningSubgraph) =>
    s.stopped
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          s.stopped = true;
          s.server.close(() => resolve());
          s.server.closeAllConnections();
        });
  return {
    url: gateway.url,
    gateway,
    supergraphSdl,
    query: async (query, variables, headers = {}) => {
      const res = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      const contentType = res.headers.get('content-type') ?? '';
      const text = await res.text();
      const body = contentType.startsWith('multipart/mixed')
        ? parseMultipart(text, contentType)
        : JSON.parse(text);
      return { status: res.status, headers: res.headers, body, contentType };
    },
    fetches: (name) => {
      const s = running.get(name);
      if (!s) throw new Error(`No subgraph ${name}`);
      return s.fetches;
    },
    resetFetches: () => {
      for (const s of running.values()) s.fetches.length = 0;
    },
    planner,
    plan: (query) => {
      const document = parse(query);
      const operation = document.definitions.find(
        (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
      )!;
      return backend.plan(document, operation);
    },
    as: async (options) => bearer(await issuer.token(options)),
    stopSubgraph: async (name) => {
      const s = running.get(name);
      if (!s) throw new Error(`No subgraph ${name}`);
      await stop(s);
    },
    close: async () => {
      await gateway.close();
      for (const s of running.values()) await stop(s);
      await issuer.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The JSON parts of a `multipart/mixed` answer (incremental delivery), in order. */
function parseMultipart(text: string, contentType: string): unknown[] {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1] ?? '-';
  return text
    .split(`--${boundary}`)
    .map((part) => part.split('\r\n\r\n').slice(1).join('\r\n\r\n').trim())
    .filter((json) => json.length > 0)
    .map((json) => JSON.parse(json));
}

/** Every node kind in a plan, depth first (`Fetch`, `Sequence`, `Parallel`, `Flatten`, …). */
export function planNodeKinds(plan: QueryPlan): string[] {
  const kinds: string[] = [];
  const visit = (node: PlanNode | SubscriptionNode | undefined): void => {
    if (!node) return;
    kinds.push(node.kind);
    switch (node.kind) {
      case 'Sequence':
      case 'Parallel':
        node.nodes.forEach(visit);
        break;
      case 'Flatten':
        visit(node.node);
        break;
      case 'Condition':
        visit(node.ifClause);
        visit(node.elseClause);
        break;
      case 'Defer':
        visit(node.primary.node);
        node.deferred.forEach((d) => visit(d.node));
        break;
      case 'Subscription':
        visit(node.primary);
        visit(node.rest);
        break;
      case 'Fetch':
      case 'BatchFetch':
        break;
    }
  };
  visit(plan.node);
  return kinds;
}

/** The fetch nodes of a plan, depth first. */
export function planFetches(plan: QueryPlan): Array<{ serviceName: string; entity: boolean }> {
  const out: Array<{ serviceName: string; entity: boolean }> = [];
  const visit = (node: PlanNode | SubscriptionNode | undefined): void => {
    if (!node) return;
    if (node.kind === 'Fetch') out.push({ serviceName: node.serviceName, entity: !!node.requires });
    else if (node.kind === 'BatchFetch') out.push({ serviceName: node.serviceName, entity: true });
    else if (node.kind === 'Sequence' || node.kind === 'Parallel') node.nodes.forEach(visit);
    else if (node.kind === 'Flatten') visit(node.node);
    else if (node.kind === 'Condition') [node.ifClause, node.elseClause].forEach(visit);
    else if (node.kind === 'Defer') {
      visit(node.primary.node);
      node.deferred.forEach((d) => visit(d.node));
    } else if (node.kind === 'Subscription') [node.primary, node.rest].forEach(visit);
  };
  visit(plan.node);
  return out;
}

/** Both query planners: every executor test runs with each. */
export const PLANNERS = QUERY_PLANNERS;

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The `representations` a subgraph received in its `_entities` fetches, in order. */
export function representations(fetches: RecordedFetch[]): any[] {
  return fetches.flatMap((f) => (f.variables.representations as any[] | undefined) ?? []);
}
