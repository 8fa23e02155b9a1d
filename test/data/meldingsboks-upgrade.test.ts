import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOrm } from '../../platform/db/orm.js';
import { definition as meldingsboks } from '../../subgraphs/meldingsboks/index.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { silent } from '../harness/graph.js';

let db: TestDatabase;
const open = (migrations = meldingsboks.migrations) =>
  openOrm({
    url: db.url,
    schema: meldingsboks.dbSchema,
    entities: meldingsboks.entities,
    migrations,
    log: silent,
  });

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

describe('meldingsboks upgrade from the first schema', () => {
  it('keeps earlier messages as published, with history, and the demo data loads beside them', async () => {
    const before = await open(meldingsboks.migrations.slice(0, 1));
    await before.close();
    await db.query(
      `insert into meldingsboks.message (id, title, recipient_orgnr, sender_orgnr, service_code, created_at)
       values ('6f1c0a9e-1d2b-4c3d-8e4f-000000000001', 'old', '310012343', '974761076', '4255/8', '2026-11-02T09:15:00Z'),
              ('6f1c0a9e-1d2b-4c3d-8e4f-0000000000ff', 'old confidential', '310012343', '958935420', '5504/1', '2026-11-03T09:15:00Z')`,
    );
    const orm = await open();
    try {
      const rows = await db.query(
        `select id, status, publish_seq::int as seq, confidential, published_at = created_at as kept
         from meldingsboks.message order by publish_seq`,
      );
      expect(rows).toEqual([
        {
          id: '6f1c0a9e-1d2b-4c3d-8e4f-000000000001',
          status: 'Published',
          seq: 1,
          confidential: false,
          kept: true,
        },
        {
          id: '6f1c0a9e-1d2b-4c3d-8e4f-0000000000ff',
          status: 'Published',
          seq: 2,
          confidential: true,
          kept: true,
        },
      ]);
      const history = await db.query(`select status from meldingsboks.message_status`);
      expect(history).toEqual([{ status: 'Published' }, { status: 'Published' }]);
      expect(await meldingsboks.isEmpty(orm.em.fork())).toBe(true);
      await meldingsboks.seed(orm.em.fork());
      const after = await db.query(
        `select count(*)::int as n, max(publish_seq)::int as top from meldingsboks.message`,
      );
      // The kept demo message is not sent again; the other four demo messages follow the old ones.
      expect(after).toEqual([{ n: 6, top: 6 }]);
    } finally {
      await orm.close();
    }
  });
});
