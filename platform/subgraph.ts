import type { BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import type { MigrationObject } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from './logger.js';
import { openOrm, type MikroORM, type OrmOptions } from './orm.js';
import { startHttpService, type HttpService } from './server.js';

/** What every subgraph's context carries: its own EntityManager fork and a logger. */
export interface SubgraphContext extends BaseContext {
  em: EntityManager;
  log: Logger;
}

/** The shape every subgraph module exports, so that runners and tests compose them alike. */
export interface SubgraphDefinition<Ctx extends SubgraphContext = SubgraphContext> {
  /** Subgraph name in the supergraph. */
  name: string;
  /** Port when none is configured. */
  defaultPort: number;
  /** Postgres schema holding this subgraph's tables. */
  dbSchema: string;
  entities: OrmOptions['entities'];
  migrations: MigrationObject[];
  buildSchema(): Promise<GraphQLSchema>;
  /** One request, one context: called with a fresh EntityManager fork per request. */
  createContext(em: EntityManager, log: Logger): Ctx;
  /** Loads the demo data set; idempotent. */
  seed(em: EntityManager): Promise<void>;
  /** True when the demo data set should be loaded (first start). */
  isEmpty(em: EntityManager): Promise<boolean>;
}

export interface StartSubgraphOptions {
  databaseUrl: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  log: Logger;
  /** Load the demo data on first start. @default false */
  seedWhenEmpty?: boolean;
  /** Hide internals in errors (production). @default false */
  production?: boolean;
  onQuery?: OrmOptions['onQuery'];
}

export interface RunningSubgraph extends HttpService {
  name: string;
  orm: MikroORM;
}

/** Opens the subgraph's database schema (migrating it) and serves its GraphQL API. */
export async function startSubgraph<Ctx extends SubgraphContext>(
  def: SubgraphDefinition<Ctx>,
  options: StartSubgraphOptions,
): Promise<RunningSubgraph> {
  const log = options.log.child({ subgraph: def.name });
  const orm = await openOrm({
    url: options.databaseUrl,
    schema: def.dbSchema,
    entities: def.entities,
    migrations: def.migrations,
    log,
    onQuery: options.onQuery,
  });
  try {
    if (options.seedWhenEmpty && (await def.isEmpty(orm.em.fork()))) {
      await def.seed(orm.em.fork());
      log.info('demo data loaded');
    }
    const service = await startHttpService<Ctx>({
      apollo: {
        schema: await def.buildSchema(),
        includeStacktraceInErrorResponses: !options.production,
        // Inline traces are for Apollo's hosted studio, which this graph does not report to.
        plugins: [ApolloServerPluginInlineTraceDisabled()],
      },
      context: async () => def.createContext(orm.em.fork(), log),
      host: options.host,
      port: options.port,
      health: () => orm.isConnected(),
      log,
    });
    return {
      ...service,
      name: def.name,
      orm,
      close: async () => {
        await service.close();
        await orm.close();
      },
    };
  } catch (err) {
    await orm.close();
    throw err;
  }
}

/** A subgraph context with the subgraph's own request-scoped loaders. */
export type ContextWith<Loaders> = SubgraphContext & { loaders: Loaders };

/** Builds the per-request context factory of a subgraph from its loader factory. */
export function contextFactory<Loaders>(createLoaders: (em: EntityManager) => Loaders) {
  return (em: EntityManager, log: Logger): ContextWith<Loaders> => ({
    em,
    log,
    loaders: createLoaders(em),
  });
}
