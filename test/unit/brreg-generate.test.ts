import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { orgnrProblem } from '../../subgraphs/domain/orgnr.js';
import { syntheticPid } from '../../subgraphs/enhetsregisteret/brreg/syntheticPid.js';
import {
  accountingFirms,
  auditorFirms,
  enhetOrgnr,
  generateEnheter,
  generateRoller,
  generateUnderenheter,
  writeGzipJsonArray,
  type GenerateOptions,
} from '../../subgraphs/enhetsregisteret/brreg/generate.js';

const options: GenerateOptions = { enheter: 2000, underenheter: 800, seed: 7 };
const enheter = [...generateEnheter(options)];
const underenheter = [...generateUnderenheter(options)];
const roller = [...generateRoller(options)];

describe('brreg generator', () => {
  it('gives every enhet and underenhet a valid, unique organisasjonsnummer', () => {
    const numbers = [...enheter, ...underenheter].map((e) => e.organisasjonsnummer);
    expect(numbers).toHaveLength(2800);
    for (const n of numbers) expect(orgnrProblem(n), n).toBeNull();
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(enheter.map((e) => e.organisasjonsnummer)).toEqual(enheter.map((_, i) => enhetOrgnr(i)));
  });

  it('is deterministic, and the seed changes the content', () => {
    expect([...generateEnheter(options)]).toEqual(enheter);
    expect([...generateUnderenheter(options)]).toEqual(underenheter);
    expect([...generateRoller(options)]).toEqual(roller);
    const other = [...generateEnheter({ ...options, seed: 8 })];
    expect(other.map((e) => e.navn)).not.toEqual(enheter.map((e) => e.navn));
  });

  it('hangs every underenhet under a generated enhet', () => {
    const known = new Set(enheter.map((e) => e.organisasjonsnummer));
    for (const u of underenheter) {
      expect(known.has(u.overordnetEnhet), u.overordnetEnhet).toBe(true);
      expect(['BEDR', 'AAFY']).toContain(u.organisasjonsform.kode);
    }
    expect(underenheter.some((u) => u.organisasjonsform.kode === 'AAFY')).toBe(true);
  });

  it('uses real-looking addresses: a 4-digit kommunenummer with kommune and postnummer', () => {
    const addresses = [
      ...enheter.flatMap((e) => [e.forretningsadresse, e.postadresse]),
      ...underenheter.flatMap((u) => [u.beliggenhetsadresse, u.postadresse]),
    ].filter((a) => a !== undefined);
    expect(addresses.length).toBeGreaterThan(2000);
    for (const a of addresses) {
      expect(a.kommunenummer).toMatch(/^\d{4}$/);
      expect(a.kommune).toBeTruthy();
      expect(a.postnummer).toMatch(/^\d{4}$/);
      expect(a.poststed).toBeTruthy();
      expect(a.landkode).toBe('NO');
    }
  });

  it('draws the organisasjonsformer in roughly the intended shares', () => {
    const share = (kode: string): number =>
      enheter.filter((e) => e.organisasjonsform.kode === kode).length / enheter.length;
    expect(share('AS')).toBeGreaterThan(0.5);
    expect(share('AS')).toBeLessThan(0.6);
    expect(share('ENK')).toBeGreaterThan(0.2);
    const as = enheter.find((e) => e.organisasjonsform.kode === 'AS' && !e.slettedato);
    expect(as?.navn).toMatch(/^[A-ZÆØÅ0-9 .&-]+ AS$/);
    expect(as?.registrertIForetaksregisteret).toBe(true);
  });

  it('makes deleted enheter stubs', () => {
    const deleted = enheter.filter((e) => e.slettedato);
    expect(deleted.length).toBeGreaterThan(10);
    for (const e of deleted) {
      expect(Object.keys(e).sort()).toEqual(
        ['navn', 'organisasjonsform', 'organisasjonsnummer', 'slettedato'].sort(),
      );
      expect(e.slettedato).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    const withRoller = new Set(roller.map((r) => r.organisasjonsnummer));
    for (const e of deleted) expect(withRoller.has(e.organisasjonsnummer)).toBe(false);
    expect(roller).toHaveLength(enheter.length - deleted.length);
  });

  it('lets a handful of accounting firms hold REGN for many clients each', () => {
    const firms = accountingFirms(options);
    expect(firms.length).toBeGreaterThanOrEqual(5);
    expect(firms.length).toBeLessThanOrEqual(6);
    const byNumber = new Map(enheter.map((e) => [e.organisasjonsnummer, e]));
    for (const f of firms) {
      const firm = byNumber.get(f);
      expect(firm?.organisasjonsform.kode).toBe('AS');
      expect(firm?.naeringskode1?.kode).toBe('69.201');
      expect(firm?.slettedato).toBeUndefined();
    }
    const clients = new Map<string, number>();
    for (const r of roller) {
      for (const g of r.rollegrupper.filter((g) => g.type.kode === 'REGN')) {
        for (const rolle of g.roller) {
          const holder = rolle.enhet?.organisasjonsnummer ?? '';
          expect(firms).toContain(holder);
          expect(rolle.enhet?.navn?.[0]).toBe(byNumber.get(holder)?.navn);
          clients.set(holder, (clients.get(holder) ?? 0) + 1);
        }
      }
    }
    expect([...clients.keys()].sort()).toEqual([...firms].sort());
    for (const count of clients.values()) expect(count).toBeGreaterThan(100);

    const auditors = new Set(auditorFirms(options));
    const revi = roller.flatMap((r) => r.rollegrupper.filter((g) => g.type.kode === 'REVI'));
    expect(revi.length).toBeGreaterThan(50);
    for (const g of revi)
      expect(auditors.has(g.roller[0]?.enhet?.organisasjonsnummer ?? '')).toBe(true);
  });

  it('gives AS a daglig leder and a board, ENK an innehaver', () => {
    const form = new Map(enheter.map((e) => [e.organisasjonsnummer, e.organisasjonsform.kode]));
    for (const r of roller) {
      const codes = r.rollegrupper.flatMap((g) => g.roller.map((rolle) => rolle.type.kode));
      if (form.get(r.organisasjonsnummer) === 'AS') {
        expect(codes).toContain('DAGL');
        expect(codes).toContain('LEDE');
      }
      if (form.get(r.organisasjonsnummer) === 'ENK') expect(codes).toContain('INNH');
      for (const g of r.rollegrupper) {
        expect(g.roller.map((rolle) => rolle.rekkefolge)).toEqual(g.roller.map((_, n) => n));
      }
    }
    const persons = roller.flatMap((r) => r.rollegrupper.flatMap((g) => g.roller));
    expect(persons.some((rolle) => rolle.fratraadt)).toBe(true);
  });

  it('gives every person a synthetic identity number: month + 80, valid control digits, stable per person', () => {
    const persons = roller.flatMap((r) =>
      r.rollegrupper.flatMap((g) =>
        g.roller.flatMap((rolle) => (rolle.person ? [rolle.person] : [])),
      ),
    );
    expect(persons.length).toBeGreaterThan(0);
    const byPerson = new Map<string, string>();
    for (const p of persons) {
      const n = p.fodselsnummer!;
      expect(n).toMatch(/^[0-9]{11}$/);
      const [y, m, d] = p.fodselsdato!.split('-');
      expect(n.slice(0, 6)).toBe(`${d}${Number(m) + 80}${y!.slice(2)}`);
      const digits = [...n].map(Number);
      const k = (w: number[]) => {
        const r = 11 - (w.reduce((s, x, i) => s + x * digits[i]!, 0) % 11);
        return r === 11 ? 0 : r;
      };
      expect(digits[9]).toBe(k([3, 7, 6, 1, 8, 9, 4, 5, 2]));
      expect(digits[10]).toBe(k([5, 4, 3, 2, 7, 6, 5, 4, 3, 2]));
      const who = `${p.fodselsdato} ${JSON.stringify(p.navn)}`;
      expect(byPerson.get(who) ?? n).toBe(n);
      byPerson.set(who, n);
    }
    expect(syntheticPid('1980-04-17', 'Ola Nordmann')).toBe(
      syntheticPid('1980-04-17', 'Ola Nordmann'),
    );
    expect(syntheticPid('1980-04-17', 'Ola Nordmann')).not.toBe(
      syntheticPid('1980-04-17', 'Kari Nordmann'),
    );
  });

  it('streams a gzipped JSON array that reads back equal', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'brreg-generate-'));
    try {
      const file = path.join(dir, 'enheter.json.gz');
      expect(await writeGzipJsonArray(file, generateEnheter(options))).toBe(enheter.length);
      const text = gunzipSync(await readFile(file)).toString('utf8');
      expect(text.startsWith('[\n{')).toBe(true);
      expect(JSON.parse(text)).toEqual(enheter);

      const empty = path.join(dir, 'empty.json.gz');
      expect(await writeGzipJsonArray(empty, [])).toBe(0);
      expect(JSON.parse(gunzipSync(await readFile(empty)).toString('utf8'))).toEqual([]);

      const missing = path.join(dir, 'no-such-dir', 'x.json.gz');
      await expect(writeGzipJsonArray(missing, generateEnheter(options))).rejects.toThrow(/ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
