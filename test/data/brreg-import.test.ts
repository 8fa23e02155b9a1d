import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyOppdateringer, importFile } from '../../subgraphs/enhetsregisteret/brreg/importer.js';
import { definition } from '../../subgraphs/enhetsregisteret/index.js';
import { openOrm } from '../../platform/db/orm.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import {
  importGenerated,
  registerPool,
  writeRawArray,
  type GeneratedRegister,
} from '../harness/brreg.js';
import { silent } from '../harness/graph.js';

let db: TestDatabase;
let pool: pg.Pool;
let reg: GeneratedRegister;

beforeAll(async () => {
  db = await createTestDatabase();
  const orm = await openOrm({
    url: db.url,
    schema: definition.dbSchema,
    entities: definition.entities,
    migrations: definition.migrations,
    log: silent,
  });
  await orm.close();
  reg = await importGenerated(db.url, { enheter: 200, underenheter: 80 });
  pool = registerPool(db.url);
}, 60_000);
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const count = async (table: string) =>
  Number((await db.query<{ n: string }>(`select count(*) n from enhetsregisteret.${table}`))[0]!.n);
const enhet = (orgnr: string, navn: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    organisasjonsnummer: orgnr,
    navn,
    organisasjonsform: { kode: 'AS', beskrivelse: 'Aksjeselskap' },
    ...extra,
  });

describe('brreg import', () => {
  it("carries each role holder's person identifier (synthetic in generated files)", async () => {
    const generated = reg.roller.flatMap((r) =>
      r.rollegrupper.flatMap((g) =>
        g.roller.flatMap((x) =>
          x.person?.fodselsnummer ? [`${r.organisasjonsnummer} ${x.person.fodselsnummer}`] : [],
        ),
      ),
    );
    expect(generated.length).toBeGreaterThan(0);
    const rows = await db.query<{ k: string }>(
      `select organisasjonsnummer || ' ' || person_pid as k from enhetsregisteret.rolle
       where person_pid is not null`,
    );
    expect(new Set(rows.map((r) => r.k))).toEqual(new Set(generated));
  });

  it('is idempotent: importing the same files again changes nothing', async () => {
    const before = [await count('enhet'), await count('underenhet'), await count('rolle')];
    for (const kind of ['enheter', 'underenheter', 'roller'] as const) {
      const r = await importFile(pool, kind, path.join(reg.dir, `${kind}.json.gz`));
      expect(r.skipped).toEqual([]);
    }
    expect([await count('enhet'), await count('underenhet'), await count('rolle')]).toEqual(before);
    expect(before[0]).toBe(200);
  });

  it('reports malformed records with their position, skips them and imports the rest', async () => {
    const file = await writeRawArray(reg.dir, 'bad.json', [
      enhet('310061700', 'GOD EN AS'),
      '{"organisasjonsnummer": "310074047", "navn": ', // cut-off JSON
      enhet('123456789', 'FEIL NUMMER AS'),
      enhet('310098728', 'GOD TO AS', { stiftelsesdato: '2020-13-45x' }),
      JSON.stringify({
        organisasjonsnummer: '310110043',
        organisasjonsform: { kode: 'AS', beskrivelse: 'Aksjeselskap' },
      }),
      enhet('310074047', 'GOD TRE AS', { antallAnsatte: 3 }),
    ]);
    const r = await importFile(pool, 'enheter', file);
    expect(r.imported).toBe(2);
    expect(r.skipped.map((s) => [s.index, s.line])).toEqual([
      [1, 3],
      [2, 4],
      [3, 5],
      [4, 6],
    ]);
    expect(r.skipped[1]!.reason).toMatch(/organisasjonsnummer "123456789".*check-digit/);
    expect(r.skipped[2]!.reason).toMatch(/stiftelsesdato/);
    expect(r.skipped[3]!.reason).toMatch(/navn/);
    const rows = await db.query(
      `select navn from enhetsregisteret.enhet where organisasjonsnummer in ('310061700', '310074047') order by 1`,
    );
    expect(rows.map((x) => x.navn)).toEqual(['GOD EN AS', 'GOD TRE AS']);
  });

  it('exits non-zero from the command when it skipped a record', async () => {
    const file = await writeRawArray(reg.dir, 'bad-cli.json', [
      enhet('310049360', 'X AS'),
      '{"nope": 1}',
    ]);
    const run = promisify(execFile);
    const err = await run(
      process.execPath,
      ['dist/subgraphs/commands/importBrreg.js', '--enheter', file],
      {
        env: { ...process.env, DATABASE_URL: db.url },
      },
    ).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(1);
    expect((err as { stderr: string }).stderr).toMatch(/element 1 \(line 3\)/);
  });

  it('applies the update feed in order, once, remembering where it got to', async () => {
    const target = reg.enheter.find((e) => !e.slettedato)!;
    const other = reg.enheter.filter((e) => !e.slettedato)[1]!;
    const gone = reg.enheter.filter((e) => !e.slettedato)[2]!;
    const item = (id: number, orgnr: string, endringstype: string, e?: object) =>
      JSON.stringify({
        oppdateringsid: id,
        dato: '2026-11-20T10:00:00.000Z',
        organisasjonsnummer: orgnr,
        endringstype,
        ...(e ? { enhet: e } : {}),
      });
    const file = await writeRawArray(reg.dir, 'oppdateringer.json', [
      // out of order in the file: the feed's ids decide
      item(12, target.organisasjonsnummer, 'Endring', { ...target, navn: 'ANDRE NAVN AS' }),
      item(11, target.organisasjonsnummer, 'Endring', { ...target, navn: 'FØRSTE NAVN AS' }),
      item(13, '310122394', 'Ny', {
        organisasjonsnummer: '310122394',
        navn: 'HELT NY AS',
        organisasjonsform: { kode: 'AS', beskrivelse: 'Aksjeselskap' },
      }),
      item(14, other.organisasjonsnummer, 'Sletting'),
      item(15, gone.organisasjonsnummer, 'Fjernet'),
    ]);
    const r = await applyOppdateringer(pool, file);
    expect(r.position).toBe(15);
    expect(r.imported).toBe(5);
    const navn = async (n: string) =>
      (
        await db.query(
          `select navn, slettedato::text, forretningsadresse from enhetsregisteret.enhet where organisasjonsnummer = $1`,
          [n],
        )
      )[0];
    expect((await navn(target.organisasjonsnummer))?.navn).toBe('ANDRE NAVN AS');
    expect((await navn('310122394'))?.navn).toBe('HELT NY AS');
    expect(await navn(other.organisasjonsnummer)).toEqual({
      navn: other.navn,
      slettedato: '2026-11-20',
      forretningsadresse: null,
    });
    expect(await navn(gone.organisasjonsnummer)).toBeUndefined();
    expect(
      await db.query(`select 1 from enhetsregisteret.rolle where organisasjonsnummer = $1`, [
        gone.organisasjonsnummer,
      ]),
    ).toEqual([]);

    // Again: nothing new is applied, even after a local change.
    await db.query(
      `update enhetsregisteret.enhet set navn = 'LOKAL' where organisasjonsnummer = $1`,
      [target.organisasjonsnummer],
    );
    const again = await applyOppdateringer(pool, file);
    expect(again).toMatchObject({ imported: 0, position: 15 });
    expect((await navn(target.organisasjonsnummer))?.navn).toBe('LOKAL');
  });

  it('skips a role whose person identifier is malformed, naming the field, never the value', async () => {
    const roller = (orgnr: string, fodselsnummer: string) =>
      JSON.stringify({
        organisasjonsnummer: orgnr,
        rollegrupper: [
          {
            type: { kode: 'DAGL', beskrivelse: 'Daglig leder' },
            roller: [
              {
                type: { kode: 'DAGL', beskrivelse: 'Daglig leder' },
                person: {
                  fodselsnummer,
                  fodselsdato: '1980-04-17',
                  navn: { fornavn: 'Ola', etternavn: 'Nordmann' },
                },
                fratraadt: false,
              },
            ],
          },
        ],
      });
    const [first, second] = reg.enheter.map((e) => e.organisasjonsnummer);
    const file = await writeRawArray(reg.dir, 'bad-pid.json', [
      roller(first!, '1784805436X'),
      roller(second!, '17848054364'),
    ]);
    const r = await importFile(pool, 'roller', file);
    expect(r.skipped).toHaveLength(1);
    expect(r.imported).toBe(1);
    expect(r.skipped[0]!.reason).toContain('fodselsnummer');
    expect(r.skipped[0]!.reason).not.toContain('1784805436X');
    const rows = await db.query<{ person_pid: string }>(
      'select person_pid from enhetsregisteret.rolle where organisasjonsnummer = $1',
      [second],
    );
    expect(rows).toEqual([{ person_pid: '17848054364' }]);
  });
});
