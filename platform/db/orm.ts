import { MikroORM, type Options } from '@mikro-orm/postgresql';
import type { MigrationObject } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import pg from 'pg';
import type { Logger } from '../runtime/logger.js';

export { MikroORM };

export interface OrmOptions {
  url: string;
  /** The Postgres schema that owns this subgraph's tables and its migration log. */
  schema: string;
  entities: NonNullable<Options['entities']>;
  migrations: MigrationObject[];
  log: Logger;
  /** Called with every SQL statement (tests count them). */
  onQuery?: ((sql: string) => void) | undefined;
  /** @default 10 */
  poolSize?: number;
}

/** Opens a MikroORM instance on one subgraph's schema and brings it up to date by migration. */
export async function openOrm(options: OrmOptions): Promise<MikroORM> {
  const { log, onQuery } = options;
  const orm = await MikroORM.init({
    clientUrl: options.url,
    schema: options.schema,
    entities: options.entities,
    extensions: [Migrator],
    migrations: {
      migrationsList: options.migrations,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
    // Unqualified names in migrations and raw SQL mean this subgraph's own schema.
    driverOptions: { connection: { options: `-c search_path=${options.schema},public` } },
    allowGlobalContext: false,
    // A schema may hold only tables its code reads with SQL (the gateway's own state).
    discovery: { warnWhenNoEntities: false },
    pool: { min: 0, max: options.poolSize ?? 10 },
    debug: onQuery ? ['query'] : false,
    logger: (message) => {
      if (onQuery && message.startsWith('[query]')) onQuery(message);
      else log.debug({ orm: message }, 'orm');
    },
    colors: false,
  });
  try {
    const done = await migrateAlone(options.url, options.schema, () => orm.getMigrator().up());
    if (done.length > 0) log.info({ migrations: done.map((m) => m.name) }, 'migrations applied');
  } catch (err) {
    await orm.close();
    throw err;
  }
  return orm;
}

/**
 * Runs `migrate` while holding a PostgreSQL advisory lock named after the schema, on a
 * connection of its own: instances of one service started together (a rolling deploy, a
 * scale-up) migrate one at a time, and each after the first finds nothing left to do. The lock
 * goes with its connection should the process die.
 */
export async function migrateAlone<T>(
  url: string,
  schema: string,
  migrate: () => Promise<T>,
): Promise<T> {
  const lock = new pg.Client({ connectionString: url });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock(hashtext($1))', [`dpv-graph:migrate:${schema}`]);
    return await migrate();
  } finally {
    await lock.end().catch(() => undefined);
  }
}
