import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations as gatewayMigrations } from '../../gateway/state/migrations/index.js';
import { openOrm, type MikroORM } from '../../platform/db/orm.js';
import { subgraphs } from '../../subgraphs/registry.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { silent } from '../harness/graph.js';

let db: TestDatabase;
const orms: MikroORM[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  for (const orm of orms) await orm.close();
  await db?.drop();
});

/** Every service whose schema is changed by migrations: the subgraphs and the gateway's state. */
const services = [
  ...subgraphs.map((d) => ({
    schema: d.dbSchema,
    entities: d.entities,
    migrations: d.migrations,
  })),
  { schema: 'gateway', entities: [], migrations: gatewayMigrations },
];

describe('migrations under concurrency', () => {
  it('two instances of every service started at once on an empty database migrate once, and both start', async () => {
    const opened = await Promise.all(
      services.flatMap((s) => [0, 1].map(() => openOrm({ url: db.url, ...s, log: silent }))),
    );
    orms.push(...opened);
    for (const s of services) {
      const rows = await db.query<{ name: string }>(
        `select name from ${s.schema}.mikro_orm_migrations order by id`,
      );
      expect(rows.map((r) => r.name)).toEqual(s.migrations.map((m) => m.name));
    }
  }, 60_000);
});
