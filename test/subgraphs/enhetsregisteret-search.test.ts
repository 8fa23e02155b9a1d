import { beforeAll, describe, expect, it } from 'vitest';
import { enhetOrgnr } from '../../subgraphs/enhetsregisteret/brreg/generate.js';
import type { BrregEnhet } from '../../subgraphs/enhetsregisteret/brreg/types.js';
import { definition } from '../../subgraphs/enhetsregisteret/index.js';
import { importGenerated, type GeneratedRegister } from '../harness/brreg.js';
import { post } from '../harness/graphql.js';
import { useTestSubgraph } from '../harness/graph.js';

// Only the generated register, so that every expectation can be computed from it.
const fixture = useTestSubgraph(definition, { demoData: false });
let reg: GeneratedRegister;
/** The generated enheter plus the demo ones the subgraph seeds. */
let live: BrregEnhet[];

beforeAll(async () => {
  reg = await importGenerated(fixture.db.url, { enheter: 600, underenheter: 50 });
  live = reg.enheter;
}, 60_000);

/** Every page of enheter matching `filter`, by following endCursor. */
async function all(filter: Record<string, unknown>, first = 50): Promise<string[]> {
  const out: string[] = [];
  let after: string | null = null;
  for (;;) {
    const r: any = await post(
      fixture.subgraph.url,
      `query ($f: EnhetFilter, $first: Int!, $after: String) { enheter(filter: $f, first: $first, after: $after) { totalCount edges { node { organisasjonsnummer } } pageInfo { hasNextPage endCursor } } }`,
      { f: filter, first, after },
    );
    expect(r.errors).toBeUndefined();
    out.push(...r.data.enheter.edges.map((e: any) => e.node.organisasjonsnummer));
    if (!r.data.enheter.pageInfo.hasNextPage) {
      expect(r.data.enheter.totalCount).toBe(out.length);
      return out;
    }
    after = r.data.enheter.pageInfo.endCursor;
  }
}

/** The generated enheter a filter should find (generated numbers start with 32). */
const expect32 = (pred: (e: BrregEnhet) => boolean, withDeleted = false) =>
  live
    .filter((e) => (withDeleted || !e.slettedato) && pred(e))
    .map((e) => e.organisasjonsnummer)
    .sort();
const only32 = (xs: string[]) => xs.filter((x) => x.startsWith('32'));
const codes = (e: BrregEnhet) =>
  [e.naeringskode1, e.naeringskode2, e.naeringskode3].filter(Boolean).map((k) => k!.kode);

describe('enheter(filter): every filter agrees with the data it was generated from', () => {
  const cases: Array<[string, Record<string, unknown>, (e: BrregEnhet) => boolean]> = [
    [
      'organisasjonsform list',
      { organisasjonsform: ['ENK', 'FLI'] },
      (e) => ['ENK', 'FLI'].includes(e.organisasjonsform.kode),
    ],
    [
      'naeringskode with the codes under it',
      { naeringskode: '43' },
      (e) => codes(e).some((k) => k.startsWith('43')),
    ],
    ['exact naeringskode', { naeringskode: '69.201' }, (e) => codes(e).includes('69.201')],
    [
      'kommunenummer',
      { kommunenummer: '0301' },
      (e) => e.forretningsadresse?.kommunenummer === '0301',
    ],
    ['postnummer', { postnummer: '5003' }, (e) => e.forretningsadresse?.postnummer === '5003'],
    ['konkurs', { konkurs: true }, (e) => e.konkurs === true],
    ['not under avvikling', { underAvvikling: false }, (e) => e.underAvvikling !== true],
    [
      'registrertIMvaregisteret',
      { registrertIMvaregisteret: true },
      (e) => e.registrertIMvaregisteret === true,
    ],
    [
      'antallAnsatte range',
      { fraAntallAnsatte: 5, tilAntallAnsatte: 20 },
      (e) => (e.antallAnsatte ?? -1) >= 5 && (e.antallAnsatte ?? 99) <= 20,
    ],
    [
      'stiftelsesdato range',
      { fraStiftelsesdato: '2010-01-01', tilStiftelsesdato: '2015-12-31' },
      (e) =>
        !!e.stiftelsesdato && e.stiftelsesdato >= '2010-01-01' && e.stiftelsesdato <= '2015-12-31',
    ],
    ['navn prefix, any case', { navn: 'fjord' }, (e) => e.navn.toLowerCase().startsWith('fjord')],
    [
      'combined',
      { organisasjonsform: ['AS'], kommunenummer: '4601', fraAntallAnsatte: 1 },
      (e) =>
        e.organisasjonsform.kode === 'AS' &&
        e.forretningsadresse?.kommunenummer === '4601' &&
        (e.antallAnsatte ?? 0) >= 1,
    ],
  ];
  it.each(cases)('%s', async (_name, filter, pred) => {
    const want = expect32(pred);
    expect(want.length, 'the generated data should exercise this filter').toBeGreaterThan(0);
    expect(only32(await all(filter))).toEqual(want);
  });

  it('includes deleted enheter only when asked', async () => {
    const want = expect32((e) => e.organisasjonsform.kode === 'AS', true);
    expect(only32(await all({ organisasjonsform: ['AS'], inkluderSlettede: true }))).toEqual(want);
    expect(want.length).toBeGreaterThan(expect32((e) => e.organisasjonsform.kode === 'AS').length);
  });

  it('overordnetEnhet finds the organisasjonsledd under a parent', async () => {
    const [parent, child] = live.filter((e) => !e.slettedato).map((e) => e.organisasjonsnummer);
    await fixture.db.query(
      `update enhetsregisteret.enhet set overordnet_enhet_orgnr = $1 where organisasjonsnummer = $2`,
      [parent, child],
    );
    expect(await all({ overordnetEnhet: parent })).toEqual([child]);
  });

  it('fuzzy navn finds misspelled names, most alike first, and pages without repeats', async () => {
    const target = live.find((e) => !e.slettedato && e.navn.length > 12)!;
    const misspelled = target.navn.slice(0, -3) + 'xq';
    const r: any = await post(
      fixture.subgraph.url,
      `query ($f: EnhetFilter) { enheter(filter: $f, first: 5) { edges { node { navn } } } }`,
      { f: { navn: misspelled, navnSok: 'FUZZY' } },
    );
    expect(r.data.enheter.edges.map((e: any) => e.node.navn)).toContain(target.navn);
    const paged = await all({ navn: target.navn.split(' ')[0], navnSok: 'FUZZY' }, 3);
    expect(new Set(paged).size).toBe(paged.length);
  });
});

describe('cursor paging', () => {
  it('stays stable while enheter are inserted between pages: nothing skipped, nothing repeated', async () => {
    const before = await all({ organisasjonsform: ['AS'] });
    const seen: string[] = [];
    let after: string | null = null;
    let inserted = 0;
    for (;;) {
      const r: any = await post(
        fixture.subgraph.url,
        `query ($after: String) { enheter(filter: { organisasjonsform: ["AS"] }, first: 25, after: $after) { edges { node { organisasjonsnummer } } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      seen.push(...r.data.enheter.edges.map((e: any) => e.node.organisasjonsnummer));
      if (!r.data.enheter.pageInfo.hasNextPage) break;
      after = r.data.enheter.pageInfo.endCursor;
      // New AS enheter both before and after the cursor, as a live register gets them.
      for (const i of [5000 + inserted * 2, 9000 + inserted * 2]) {
        await fixture.db.query(
          `insert into enhetsregisteret.enhet (organisasjonsnummer, navn, organisasjonsform_kode) values ($1, 'NY AS', 'AS')`,
          [enhetOrgnr(i)],
        );
      }
      inserted++;
    }
    expect(new Set(seen).size).toBe(seen.length);
    const kept = seen.filter((n) => before.includes(n));
    expect(kept).toEqual(before);
    expect(inserted).toBeGreaterThan(3);
  });
});
