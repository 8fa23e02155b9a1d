import { createHash } from 'node:crypto';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from '../platform/runtime/logger.js';
import { Planner } from './executor/plan.js';
import type { QueryPlannerName } from './executor/planners.js';
import type { SubgraphClient } from './executor/subgraphClient.js';
import type { SubgraphClients } from './executor/subgraphClients.js';
import { DocumentCache } from './subscriptions/documents.js';
import { subgraphsOf, type SubgraphEndpoint } from './supergraph.js';

/**
 * Everything the gateway builds from one supergraph, built together and never changed: the
 * schema, the planner with its plan cache, the subgraphs and their clients, the socket's
 * document cache. A request takes one generation when it starts and keeps it to the end, so a
 * reload never mixes an old validation with a new plan; a reload swaps the whole object.
 */
export interface Generation {
  /** 1 for the supergraph read at start, one more for each reload applied. */
  readonly number: number;
  /** SHA-256 of the supergraph's text (hex). */
  readonly hash: string;
  readonly sdl: string;
  readonly subgraphs: readonly SubgraphEndpoint[];
  readonly planner: Planner;
  /** The schema clients see (`planner.schema`). */
  readonly schema: GraphQLSchema;
  /** HTTP clients of the subgraphs, by name. */
  readonly clients: ReadonlyMap<string, SubgraphClient>;
  /** graphql-ws documents, parsed and validated against this schema. */
  readonly documents: DocumentCache;
}

export interface GenerationOptions {
  /** Overrides of the subgraph URLs composed into the supergraph, by subgraph name. */
  subgraphUrls: Readonly<Record<string, string>>;
  /** Production: introspection over graphql-ws is refused. */
  production: boolean;
  /** The gateway's subgraph clients (one per name and URL, shared by generations). */
  clients: SubgraphClients;
  /** Prepared plans kept. @default 1000 */
  maxPlans?: number;
  /** Whose query planner plans. @default 'hive' */
  queryPlanner?: QueryPlannerName;
  log?: Logger;
}

/** The SHA-256 of a supergraph's text, as the generation and the metrics name it. */
export function supergraphHash(sdl: string): string {
  return createHash('sha256').update(sdl).digest('hex');
}

/** Builds generation `number` from `sdl`; throws when it is not a supergraph the planner takes. */
export function buildGeneration(
  sdl: string,
  number: number,
  options: GenerationOptions,
): Generation {
  const subgraphs = subgraphsOf(sdl).map((s) => ({
    name: s.name,
    url: options.subgraphUrls[s.name] ?? s.url,
  }));
  const planner = new Planner(sdl, {
    maxPlans: options.maxPlans,
    queryPlanner: options.queryPlanner,
    log: options.log,
  });
  return Object.freeze({
    number,
    hash: supergraphHash(sdl),
    sdl,
    subgraphs,
    planner,
    schema: planner.schema,
    clients: new Map(subgraphs.map((s) => [s.name, options.clients.get(s.name, s.url)])),
    documents: new DocumentCache(planner.schema, { production: options.production }),
  });
}
