import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOrm, type MikroORM } from '../../platform/db/orm.js';
import { subgraphs } from '../../subgraphs/registry.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { silent } from '../harness/graph.js';

let db: TestDatabase;
const orms: MikroORM[] = [];

const open = async (def: (typeof subgraphs)[number]) => {
  const orm = await openOrm({
    url: db.url,
    schema: def.dbSchema,
    entities: def.entities,
    migrations: def.migrations,
    log: silent,
  });
  orms.push(orm);
  return orm;
};

beforeAll(async () => {
  db = await createTestDatabase();
  for (const def of subgraphs) await open(def);
});
afterAll(async () => {
  for (const orm of orms) await orm.close();
  await db?.drop();
});

describe('data layer on PostgreSQL', () => {
  it('keeps each subgraph in its own schema and nothing in public', async () => {
    const rows = await db.query<{ table_schema: string; table_name: string }>(
      `select table_schema, table_name from information_schema.tables
       where table_schema not in ('pg_catalog', 'information_schema') order by 1, 2`,
    );
    expect(rows.map((r) => `${r.table_schema}.${r.table_name}`)).toEqual([
      'enhetsregisteret.enhet',
      'enhetsregisteret.mikro_orm_migrations',
      'enhetsregisteret.oppdatering_posisjon',
      'enhetsregisteret.organisasjonsform',
      'enhetsregisteret.rolle',
      'enhetsregisteret.rolle_endring',
      'enhetsregisteret.rolle_endring_v1',
      'enhetsregisteret.underenhet',
      'enhetsregisteret.varslingsadresse',
      'meldingsboks.approved_sender',
      'meldingsboks.attachment',
      'meldingsboks.events_v1',
      'meldingsboks.inbox_grant',
      'meldingsboks.mass_sending',
      'meldingsboks.mass_sending_recipient',
      'meldingsboks.message',
      'meldingsboks.message_status',
      'meldingsboks.mikro_orm_migrations',
      'meldingsboks.outbox',
      'meldingsboks.outbox_consumer',
      'meldingsboks.outbox_retention',
      'meldingsboks.person_grant',
      'meldingsboks.relay_lease',
      'meldingsboks.sender_authorisation',
      'meldingsboks.webhook',
      'meldingsboks.webhook_attempt',
      'meldingsboks.webhook_audit',
      'varsling.consumer_position',
      'varsling.message_event',
      'varsling.mikro_orm_migrations',
      'varsling.notification',
      'varsling.notification_attempt',
      'varsling.notification_order',
      'varsling.notification_policy',
      'varsling.parked_event',
      'varsling.person_contact',
      'varsling.policy_change',
    ]);
  });

  it('applies each migration once, however often a subgraph starts', async () => {
    for (const def of subgraphs) {
      const orm = await open(def);
      expect(await orm.getMigrator().getPendingMigrations()).toEqual([]);
      const log = await db.query(`select name from ${def.dbSchema}.mikro_orm_migrations`);
      expect(log).toHaveLength(def.migrations.length);
    }
  });

  it('loads the demo data idempotently', async () => {
    const count = () =>
      db.query<{ n: number }>(
        `select (select count(*) from enhetsregisteret.enhet)
              + (select count(*) from meldingsboks.message)
              + (select count(*) from varsling.notification_policy) as n`,
      );
    for (const [i, def] of subgraphs.entries()) await def.seed(orms[i]!.em.fork());
    const first = (await count())[0]!.n;
    for (const [i, def] of subgraphs.entries()) await def.seed(orms[i]!.em.fork());
    expect(Number(first)).toBeGreaterThan(10);
    expect((await count())[0]!.n).toBe(first);
  });

  it('refuses malformed organisation numbers and dangling references in the database itself', async () => {
    await expect(
      db.query(`insert into enhetsregisteret.enhet values ('12345678x', 'X', 'AS')`),
    ).rejects.toThrow(/check constraint/);
    await expect(
      db.query(`insert into enhetsregisteret.enhet values ('310061700', 'X', 'NOPE')`),
    ).rejects.toThrow(/foreign key/);
    await expect(
      db.query(
        `insert into meldingsboks.approved_sender (organisasjonsnummer, name, approved_by) values ('12345678x', 'X', 'test')`,
      ),
    ).rejects.toThrow(/check constraint/);
    await expect(
      db.query(
        `insert into meldingsboks.message_status (message_id, status, actor) values (gen_random_uuid(), 'Read', 'test')`,
      ),
    ).rejects.toThrow(/foreign key/);
  });

  it('allows one policy per scope, the default scope included', async () => {
    await expect(
      db.query(
        `insert into varsling.notification_policy (name, channel) values ('second default', 'SMS')`,
      ),
    ).rejects.toThrow(/unique/);
  });
});
