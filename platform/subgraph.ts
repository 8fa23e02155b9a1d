import { randomUUID } from 'node:crypto';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import type { MigrationObject } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from './runtime/logger.js';
import { openOrm, type MikroORM, type OrmOptions } from './db/orm.js';
import { ANONYMOUS, type Caller } from './auth/caller.js';
import { CALLER_HEADER, type InternalIdentity } from './auth/internalIdentity.js';
import type { LoggingContext } from './http/requestLog.js';
import { startHttpService, type HttpService } from './http/server.js';

/** What every subgraph's context carries: the caller, its own EntityManager fork, a logger. */
export interface SubgraphContext extends LoggingContext {
  em: EntityManager;
  /** Who calls, as the gateway vouches; anonymous when nobody does. */
  caller: Caller;
}

/** What a request brings to a subgraph's context. */
export interface SubgraphRequest {
  caller: Caller;
  requestId: string;
  log: Logger;
}

/** What a subgraph's long-lived services (workers, clients of other subgraphs) are built from. */
export interface SubgraphRuntime {
  orm: MikroORM;
  databaseUrl: string;
  /** Signs the subgraph's own calls to other subgraphs. */
  identity: InternalIdentity;
  /** GraphQL URLs of the other subgraphs, by name. */
  peers: Readonly<Record<string, string>>;
  /** The subgraph's own settings (it validates them). */
  settings: Readonly<Record<string, unknown>>;
  log: Logger;
}

/** Long-lived parts of a subgraph; closed when it stops, before its database connection. */
export interface SubgraphServices {
  close(): Promise<void>;
  /** Prometheus metrics of the subgraph's workers, served at `GET /metrics` when given. */
  metrics?(): Promise<{ contentType: string; body: string }>;
}

/** The shape every subgraph module exports, so that runners and tests compose them alike. */
export interface SubgraphDefinition<
  Ctx extends SubgraphContext = SubgraphContext,
  Services extends SubgraphServices = SubgraphServices,
> {
  /** Subgraph name in the supergraph. */
  name: string;
  /** Port when none is configured. */
  defaultPort: number;
  /** Postgres schema holding this subgraph's tables. */
  dbSchema: string;
  entities: OrmOptions['entities'];
  migrations: MigrationObject[];
  buildSchema(): Promise<GraphQLSchema>;
  /** Starts the subgraph's long-lived services, once, before it serves. */
  startServices?(runtime: SubgraphRuntime): Promise<Services>;
  /** One request, one context: called with a fresh EntityManager fork per request. */
  createContext(em: EntityManager, request: SubgraphRequest, services: Services): Ctx;
  /** Serves the schema's subscriptions over graphql-ws at the same path. */
  subscriptions?: boolean;
  /** Loads the demo data set; idempotent. */
  seed(em: EntityManager): Promise<void>;
  /** True when the demo data set should be loaded (first start). */
  isEmpty(em: EntityManager): Promise<boolean>;
}

export interface StartSubgraphOptions {
  databaseUrl: string;
  /** Verifies the caller the gateway forwards (see platform/auth/internalIdentity.ts). */
  identity: InternalIdentity;
  host: string;
  /** 0 picks a free port. */
  port: number;
  log: Logger;
  /** Load the demo data on first start. @default false */
  seedWhenEmpty?: boolean;
  /** Hide internals: no introspection, masked internal errors. @default false */
  production?: boolean;
  onQuery?: OrmOptions['onQuery'];
  /** GraphQL URLs of the other subgraphs, by name (for subgraphs that call others). */
  peers?: Readonly<Record<string, string>>;
  /** Settings of this subgraph (see its definition). */
  settings?: Readonly<Record<string, unknown>>;
}

export interface RunningSubgraph extends HttpService {
  name: string;
  orm: MikroORM;
}

/** Brings a subgraph's schema up to date by migration, and lets go of the connection. */
export async function migrateSubgraph(
  def: Pick<SubgraphDefinition, 'dbSchema' | 'entities' | 'migrations'>,
  databaseUrl: string,
  log: Logger,
): Promise<void> {
  const orm = await openOrm({
    url: databaseUrl,
    schema: def.dbSchema,
    entities: def.entities,
    migrations: def.migrations,
    log,
  });
  await orm.close();
}

/** Opens the subgraph's database schema (migrating it) and serves its GraphQL API. */
export async function startSubgraph<Ctx extends SubgraphContext, Services extends SubgraphServices>(
  def: SubgraphDefinition<Ctx, Services>,
  options: StartSubgraphOptions,
): Promise<RunningSubgraph> {
  const log = options.log.child({ subgraph: def.name });
  // Key ids, never secrets: what to compare across processes during a rotation.
  log.info(
    { signsWith: options.identity.keyId, accepts: options.identity.acceptedKeyIds },
    'internal identity keys',
  );
  const orm = await openOrm({
    url: options.databaseUrl,
    schema: def.dbSchema,
    entities: def.entities,
    migrations: def.migrations,
    log,
    onQuery: options.onQuery,
  });
  let services: Services | undefined;
  try {
    if (options.seedWhenEmpty && (await def.isEmpty(orm.em.fork()))) {
      await def.seed(orm.em.fork());
      log.info('demo data loaded');
    }
    services = def.startServices
      ? await def.startServices({
          orm,
          databaseUrl: options.databaseUrl,
          identity: options.identity,
          peers: options.peers ?? {},
          settings: options.settings ?? {},
          log,
        })
      : ({ close: async () => {} } as Services);
    const running = services;
    const service = await startHttpService<Ctx>({
      component: def.name,
      apollo: {
        schema: await def.buildSchema(),
        includeStacktraceInErrorResponses: !options.production,
        // Inline traces are for Apollo's hosted studio, which this graph does not report to.
        plugins: [ApolloServerPluginInlineTraceDisabled()],
      },
      context: async ({ req, requestId, log: requestLog }) =>
        def.createContext(
          orm.em.fork(),
          {
            caller: await callerOf(req.get(CALLER_HEADER), options.identity, requestLog),
            requestId,
            log: requestLog,
          },
          running,
        ),
      subscriptions: def.subscriptions
        ? {
            // The gateway forwards the caller in the connection's parameters, signed as for HTTP.
            context: async (params, socketLog) => {
              const token = params?.[CALLER_HEADER];
              const requestId = randomUUID();
              const subscriptionLog = socketLog.child({ requestId });
              return def.createContext(
                orm.em.fork(),
                {
                  caller: await callerOf(
                    typeof token === 'string' ? token : undefined,
                    options.identity,
                    subscriptionLog,
                  ),
                  requestId,
                  log: subscriptionLog,
                },
                running,
              );
            },
          }
        : undefined,
      host: options.host,
      port: options.port,
      production: options.production ?? false,
      ready: () => orm.isConnected(),
      ...(running.metrics ? { metrics: () => running.metrics!() } : {}),
      log,
    });
    return {
      ...service,
      name: def.name,
      orm,
      close: async () => {
        await service.close();
        await running.close();
        await orm.close();
      },
    };
  } catch (err) {
    await services?.close();
    await orm.close();
    throw err;
  }
}

/**
 * The caller the gateway vouches for. Anything else (no header, a forged or expired token) is
 * anonymous: a subgraph never trusts a raw header.
 */
async function callerOf(
  token: string | undefined,
  identity: InternalIdentity,
  log: Logger,
): Promise<Caller> {
  if (!token) return ANONYMOUS;
  try {
    return await identity.verify(token);
  } catch (err) {
    log.warn({ reason: (err as Error).message }, 'untrusted caller identity; treated as anonymous');
    return ANONYMOUS;
  }
}

/** A subgraph context with the subgraph's own request-scoped loaders. */
export type ContextWith<Loaders> = SubgraphContext & { loaders: Loaders };

/** Builds the per-request context factory of a subgraph from its loader factory. */
export function contextFactory<Loaders>(
  createLoaders: (em: EntityManager, caller: Caller) => Loaders,
) {
  return (em: EntityManager, request: SubgraphRequest): ContextWith<Loaders> => ({
    em,
    ...request,
    loaders: createLoaders(em, request.caller),
  });
}
