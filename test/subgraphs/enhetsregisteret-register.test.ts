import { beforeAll, describe, expect, it } from 'vitest';
import { definition } from '../../subgraphs/enhetsregisteret/index.js';
import { accountingFirms } from '../../subgraphs/enhetsregisteret/brreg/generate.js';
import type { BrregEnhet } from '../../subgraphs/enhetsregisteret/brreg/types.js';
import { importGenerated, type GeneratedRegister } from '../harness/brreg.js';
import { codes, post } from '../harness/graphql.js';
import { useTestSubgraph } from '../harness/graph.js';

// Only the generated register, so that every expectation can be computed from it.
const fixture = useTestSubgraph(definition, { demoData: false });
const O = { enheter: 400, underenheter: 160, regnskapsforerShare: 0.01 };
let reg: GeneratedRegister;

beforeAll(async () => {
  reg = await importGenerated(fixture.db.url, O);
}, 60_000);

const q = (query: string, variables: Record<string, unknown> = {}) =>
  post(fixture.subgraph.url, query, variables);

const ENHET_FIELDS = `organisasjonsnummer navn organisasjonsform { kode beskrivelse }
  forretningsadresse { adresse postnummer poststed kommunenummer kommune landkode land }
  postadresse { adresse postnummer poststed kommunenummer kommune landkode land }
  naeringskode1 { kode beskrivelse } naeringskode2 { kode beskrivelse } naeringskode3 { kode beskrivelse }
  institusjonellSektorkode { kode beskrivelse } antallAnsatte harRegistrertAntallAnsatte
  registreringsdatoEnhetsregisteret stiftelsesdato registrertIMvaregisteret registrertIForetaksregisteret
  registrertIStiftelsesregisteret registrertIFrivillighetsregisteret konkurs underAvvikling
  underTvangsavviklingEllerTvangsopplosning hjemmeside maalform slettedato`;

/** What the graph should answer for a brreg record: every field, null where brreg has none. */
function expected(e: BrregEnhet) {
  const adr = (a?: Record<string, unknown>) =>
    a
      ? {
          adresse: [],
          postnummer: null,
          poststed: null,
          kommunenummer: null,
          kommune: null,
          landkode: null,
          land: null,
          ...a,
        }
      : null;
  return {
    organisasjonsnummer: e.organisasjonsnummer,
    navn: e.navn,
    organisasjonsform: e.organisasjonsform,
    forretningsadresse: adr(e.forretningsadresse as Record<string, unknown>),
    postadresse: adr(e.postadresse as Record<string, unknown>),
    naeringskode1: e.naeringskode1 ?? null,
    naeringskode2: e.naeringskode2 ?? null,
    naeringskode3: e.naeringskode3 ?? null,
    institusjonellSektorkode: e.institusjonellSektorkode ?? null,
    antallAnsatte: e.antallAnsatte ?? null,
    harRegistrertAntallAnsatte: e.harRegistrertAntallAnsatte ?? null,
    registreringsdatoEnhetsregisteret: e.registreringsdatoEnhetsregisteret ?? null,
    stiftelsesdato: e.stiftelsesdato ?? null,
    registrertIMvaregisteret: e.registrertIMvaregisteret ?? null,
    registrertIForetaksregisteret: e.registrertIForetaksregisteret ?? null,
    registrertIStiftelsesregisteret: e.registrertIStiftelsesregisteret ?? null,
    registrertIFrivillighetsregisteret: e.registrertIFrivillighetsregisteret ?? null,
    konkurs: e.konkurs ?? null,
    underAvvikling: e.underAvvikling ?? null,
    underTvangsavviklingEllerTvangsopplosning: e.underTvangsavviklingEllerTvangsopplosning ?? null,
    hjemmeside: e.hjemmeside ?? null,
    maalform: e.maalform ?? null,
    slettedato: e.slettedato ?? null,
  };
}

describe('a generated register, imported from brreg bulk files', () => {
  it('round-trips every enhet field by field', async () => {
    for (const e of reg.enheter) {
      const r = await q(
        `query ($n: String!) { enhet(organisasjonsnummer: $n) { ${ENHET_FIELDS} } }`,
        { n: e.organisasjonsnummer },
      );
      expect(r.errors).toBeUndefined();
      expect(r.data?.enhet, e.organisasjonsnummer).toEqual(expected(e));
    }
  }, 60_000);

  it('keeps deleted enheter as stubs with slettedato, excluded from searches unless asked', async () => {
    const deleted = reg.enheter.filter((e) => e.slettedato);
    expect(deleted.length).toBeGreaterThan(0);
    const r = await q(
      `query ($n: String!) { enhet(organisasjonsnummer: $n) { navn slettedato forretningsadresse { poststed } } }`,
      { n: deleted[0]!.organisasjonsnummer },
    );
    expect(r.data?.enhet).toEqual({
      navn: deleted[0]!.navn,
      slettedato: deleted[0]!.slettedato,
      forretningsadresse: null,
    });
    const all = await q(
      `{ a: enheter(first: 100) { totalCount } b: enheter(first: 100, filter: { inkluderSlettede: true }) { totalCount } }`,
    );
    expect(all.data?.b.totalCount - all.data?.a.totalCount).toBe(deleted.length);
  });

  it('round-trips underenheter with their parent and roles grouped as brreg groups them', async () => {
    const u = reg.underenheter.find((x) => !x.slettedato)!;
    const r = await q(
      `query ($n: String!) { underenhet(organisasjonsnummer: $n) { navn organisasjonsform { kode } beliggenhetsadresse { kommunenummer } oppstartsdato nedleggelsesdato overordnetEnhet { organisasjonsnummer } } }`,
      { n: u.organisasjonsnummer },
    );
    expect(r.data?.underenhet).toEqual({
      navn: u.navn,
      organisasjonsform: { kode: u.organisasjonsform.kode },
      beliggenhetsadresse: u.beliggenhetsadresse
        ? { kommunenummer: u.beliggenhetsadresse.kommunenummer ?? null }
        : null,
      oppstartsdato: u.oppstartsdato ?? null,
      nedleggelsesdato: u.nedleggelsesdato ?? null,
      overordnetEnhet: { organisasjonsnummer: u.overordnetEnhet },
    });
    for (const roller of reg.roller.slice(0, 40)) {
      const rr = await q(
        `query ($n: String!) { enhet(organisasjonsnummer: $n) { roller(inkluderFratraadte: true) { type { kode beskrivelse } sistEndret roller { type { kode } fratraadt rekkefolge person { fodselsdato erDoed navn { fornavn mellomnavn etternavn } } enhet { organisasjonsnummer } } } } }`,
        { n: roller.organisasjonsnummer },
      );
      expect(rr.data?.enhet.roller).toEqual(
        roller.rollegrupper.map((g) => ({
          type: g.type,
          sistEndret: g.sistEndret ?? null,
          roller: g.roller.map((x) => ({
            type: { kode: x.type.kode },
            fratraadt: x.fratraadt,
            rekkefolge: x.rekkefolge ?? null,
            person: x.person
              ? {
                  fodselsdato: x.person.fodselsdato ?? null,
                  erDoed: x.person.erDoed ?? false,
                  navn: {
                    fornavn: x.person.navn.fornavn ?? null,
                    mellomnavn: x.person.navn.mellomnavn ?? null,
                    etternavn: x.person.navn.etternavn ?? null,
                  },
                }
              : null,
            enhet: x.enhet ? { organisasjonsnummer: x.enhet.organisasjonsnummer } : null,
          })),
        })),
      );
    }
  });

  it('leaves resigned roles out unless asked', async () => {
    const withResigned = reg.roller.find((r) =>
      r.rollegrupper.some((g) => g.roller.some((x) => x.fratraadt)),
    )!;
    const r = await q(
      `query ($n: String!) { enhet(organisasjonsnummer: $n) { roller { roller { fratraadt } } } }`,
      { n: withResigned.organisasjonsnummer },
    );
    const flags = r.data?.enhet.roller.flatMap((g: { roller: Array<{ fratraadt: boolean }> }) =>
      g.roller.map((x) => x.fratraadt),
    );
    expect(flags).not.toContain(true);
  });

  it("lists an accounting firm's clients (REGN), paged, with totalCount", async () => {
    const firm = accountingFirms(O)[0]!;
    const clients = reg.roller
      .filter((r) =>
        r.rollegrupper.some((g) =>
          g.roller.some(
            (x) => x.type.kode === 'REGN' && !x.fratraadt && x.enhet?.organisasjonsnummer === firm,
          ),
        ),
      )
      .map((r) => r.organisasjonsnummer)
      .filter((n) => !reg.enheter.find((e) => e.organisasjonsnummer === n)?.slettedato)
      .sort();
    expect(clients.length).toBeGreaterThan(10);
    const seen: string[] = [];
    let after: string | null = null;
    let total = -1;
    do {
      const r: any = await q(
        `query ($n: String!, $after: String) { enhet(organisasjonsnummer: $n) { rolleinnehaverFor(type: ["REGN"], first: 7, after: $after) { totalCount edges { node { organisasjonsnummer } } pageInfo { hasNextPage endCursor } } } }`,
        { n: firm, after },
      );
      const c = r.data.enhet.rolleinnehaverFor;
      total = c.totalCount;
      seen.push(
        ...c.edges.map(
          (e: { node: { organisasjonsnummer: string } }) => e.node.organisasjonsnummer,
        ),
      );
      after = c.pageInfo.hasNextPage ? c.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual(clients);
    expect(total).toBe(clients.length);
  });
});

describe('underenheter of an enhet', () => {
  it('pages through all of them by cursor, not deleted ones, with totalCount', async () => {
    const counts = new Map<string, number>();
    for (const u of reg.underenheter)
      if (!u.slettedato) counts.set(u.overordnetEnhet, (counts.get(u.overordnetEnhet) ?? 0) + 1);
    const [parent] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
    const want = reg.underenheter
      .filter((u) => u.overordnetEnhet === parent && !u.slettedato)
      .map((u) => u.organisasjonsnummer)
      .sort();
    expect(want.length).toBeGreaterThan(1);
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const r: any = await q(
        `query ($n: String!, $after: String) { enhet(organisasjonsnummer: $n) { underenheter(first: 1, after: $after) { totalCount nodes { organisasjonsnummer } pageInfo { hasNextPage endCursor } } } }`,
        { n: parent, after },
      );
      const c = r.data.enhet.underenheter;
      expect(c.totalCount).toBe(want.length);
      seen.push(...c.nodes.map((x: { organisasjonsnummer: string }) => x.organisasjonsnummer));
      after = c.pageInfo.hasNextPage ? c.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual(want);
  });
});

describe('batching', () => {
  it('resolves a page of enheter with form, roles, role-holder enheter and underenheter in a constant number of statements', async () => {
    const PAGE = `query ($first: Int!) { enheter(first: $first) { edges { node {
      organisasjonsnummer organisasjonsform { kode } roller { roller { type { kode } enhet { navn organisasjonsform { kode } } } }
      underenheter(first: 3) { totalCount nodes { navn organisasjonsform { kode } } }
      overordnetEnhet { navn } } } } }`;
    const statements: number[] = [];
    for (const first of [10, 100]) {
      fixture.sql.reset();
      const r = await q(PAGE, { first });
      expect(r.errors).toBeUndefined();
      expect(r.data?.enheter.edges).toHaveLength(first);
      statements.push(fixture.sql.count);
    }
    expect(statements[1]).toBe(statements[0]);
    expect(statements[0]).toBeLessThanOrEqual(9);
  });
});

describe('bad input', () => {
  it('refuses first over 100 and a cursor it did not give out', async () => {
    expect(codes(await q(`{ enheter(first: 101) { totalCount } }`))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await q(`{ enheter(after: "bm9wZQ") { totalCount } }`))).toEqual([
      'BAD_USER_INPUT',
    ]);
  });

  it('refuses a malformed date in a filter, saying which format it wants', async () => {
    const asVariable = await q(`query ($f: EnhetFilter) { enheter(filter: $f) { totalCount } }`, {
      f: { fraStiftelsesdato: '21.11.2026' },
    });
    expect(codes(asVariable)).toEqual(['BAD_USER_INPUT']);
    expect(asVariable.errors?.[0]?.message).toContain('YYYY-MM-DD');
    // In the document itself it is a validation error, as GraphQL defines for literals.
    const asLiteral = await q(
      `{ enheter(filter: { fraStiftelsesdato: "21.11.2026" }) { totalCount } }`,
    );
    expect(codes(asLiteral)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(asLiteral.errors?.[0]?.message).toContain('YYYY-MM-DD');
  });

  it('refuses a malformed organisation number anywhere with INVALID_ORGNR', async () => {
    expect(codes(await q(`{ underenhet(organisasjonsnummer: "123") { navn } }`))).toEqual([
      'INVALID_ORGNR',
    ]);
    expect(
      codes(await q(`{ enheter(filter: { overordnetEnhet: "974760674" }) { totalCount } }`)),
    ).toEqual(['INVALID_ORGNR']);
  });
});
