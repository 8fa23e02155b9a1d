import { describe, expect, it } from 'vitest';
import { definition } from '../../subgraphs/enhetsregisteret/index.js';
import { asCaller } from '../harness/auth.js';
import { codes, post, type GraphQLResponse } from '../harness/graphql.js';
import { useTestSubgraph } from '../harness/graph.js';

const fixture = useTestSubgraph(definition);
const { sql } = fixture;
const BAKERI = '310012343';
const REGNSKAP = '310024686';

const gql = async (query: string, variables: Record<string, unknown>, claims?: object) =>
  post(fixture.subgraph.url, query, variables, claims ? await asCaller(claims) : {});

/** Refused with BAD_USER_INPUT naming the input and its limit. */
function expectRefused(r: GraphQLResponse, extensions: Record<string, unknown>): void {
  expect(codes(r)).toEqual(['BAD_USER_INPUT']);
  expect(r.errors?.[0]?.extensions).toMatchObject(extensions);
}

const HUGE = '9'.repeat(900_000);

describe('bad values are echoed as a short prefix only', () => {
  it('a 900 KB organisasjonsnummer: INVALID_ORGNR with a message under 200 characters', async () => {
    const r = await gql('query ($n: String!) { enhet(organisasjonsnummer: $n) { navn } }', {
      n: HUGE,
    });
    expect(codes(r)).toEqual(['INVALID_ORGNR']);
    expect(r.errors?.[0]?.extensions?.reason).toBe('length');
    const message = r.errors?.[0]?.message ?? '';
    expect(message.length).toBeLessThan(200);
    expect(message).toContain(`"${'9'.repeat(32)}…"`);
    expect(message).toContain('900000 characters');
  });

  it('a 900 KB e-mail address: BAD_USER_INPUT with a short message', async () => {
    const r = await gql(
      'mutation ($e: [String!]) { settVarslingsadresser(organisasjonsnummer: "310012343", epost: $e) { navn } }',
      { e: [`${'.'.repeat(900_000)}@x`] },
      { org: BAKERI, scope: 'enhetsregisteret:write' },
    );
    expectRefused(r, { field: 'epost' });
    expect(r.errors?.[0]?.message.length).toBeLessThan(200);
  });
});

describe('settVarslingsadresser: at most 10 e-post addresses and 10 mobile numbers', () => {
  const SET = `mutation ($e: [String!], $m: [String!]) {
    settVarslingsadresser(organisasjonsnummer: "310012343", epost: $e, mobil: $m) { varslingsadresser { kanal } } }`;
  const writer = { org: BAKERI, scope: 'enhetsregisteret:write dpv:read' };
  const emails = (n: number) => Array.from({ length: n }, (_, i) => `post${i}@bakeri.example`);
  const mobiles = (n: number) =>
    Array.from({ length: n }, (_, i) => `+47912345${String(i).padStart(2, '0')}`);

  it('10 of each are stored', async () => {
    const r = await gql(SET, { e: emails(10), m: mobiles(10) }, writer);
    expect(r.errors).toBeUndefined();
    expect(r.data?.settVarslingsadresser.varslingsadresser).toHaveLength(20);
  });

  it.each([
    ['epost', { e: emails(11) }],
    ['epost', { e: Array(11).fill('post@bakeri.example') }],
    ['mobil', { m: mobiles(11) }],
    ['mobil', { m: Array(40_000).fill('+4791234567') }],
  ])('one more %s is refused before any SQL, the stored set unchanged', async (field, input) => {
    const before = await fixture.db.query(
      'select kanal, adresse from enhetsregisteret.varslingsadresse where organisasjonsnummer = $1 order by 1, 2',
      [BAKERI],
    );
    const headers = await asCaller(writer);
    sql.reset();
    const r = await post(fixture.subgraph.url, SET, input, headers);
    expectRefused(r, { field, max: 10 });
    expect(sql.count).toBe(0);
    expect(
      await fixture.db.query(
        'select kanal, adresse from enhetsregisteret.varslingsadresse where organisasjonsnummer = $1 order by 1, 2',
        [BAKERI],
      ),
    ).toEqual(before);
  });
});

describe('role-type and enheter lists', () => {
  const ROLLEFORHOLD = `query ($e: [String!]!, $t: [String!]!) {
    rolleforhold(innehaver: "310024686", enheter: $e, typer: $t) { organisasjonsnummer rolletype } }`;
  const types = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? 'REGN' : `X${i}`));

  it('rolleforhold: 1000 enheter and 50 role types answer; 1001 or 51 are refused', async () => {
    const enheter = [BAKERI, ...Array.from({ length: 999 }, (_, i) => String(i).padStart(9, '0'))];
    const ok = await gql(ROLLEFORHOLD, { e: enheter, t: types(50) });
    expect(ok.errors).toBeUndefined();
    expect(ok.data?.rolleforhold).toEqual([{ organisasjonsnummer: BAKERI, rolletype: 'REGN' }]);
    expectRefused(await gql(ROLLEFORHOLD, { e: [...enheter, BAKERI], t: ['REGN'] }), {
      argument: 'enheter',
      max: 1000,
    });
    expectRefused(await gql(ROLLEFORHOLD, { e: [BAKERI], t: types(51) }), {
      argument: 'typer',
      max: 50,
    });
  });

  it('rolleinnehaverFor: 50 role types answer; 51 null the field alone', async () => {
    const q = `query ($t: [String!]!) { enhet(organisasjonsnummer: "${REGNSKAP}") { navn rolleinnehaverFor(type: $t) { totalCount } } }`;
    const ok = await gql(q, { t: types(50) });
    expect(ok.errors).toBeUndefined();
    expect(ok.data?.enhet.rolleinnehaverFor.totalCount).toBeGreaterThan(0);
    const over = await gql(q, { t: types(51) });
    expectRefused(over, { argument: 'type', max: 50 });
    expect(over.data?.enhet).toEqual({ navn: 'NORDLYS REGNSKAP AS', rolleinnehaverFor: null });
  });
});

describe('the enheter filter', () => {
  const SEARCH = `query ($f: EnhetFilter) { enheter(filter: $f, first: 1) { totalCount } }`;

  it('organisasjonsform: 50 codes answer, 51 are refused before any SQL', async () => {
    const forms = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? 'AS' : `F${i}`));
    const ok = await gql(SEARCH, { f: { organisasjonsform: forms(50) } });
    expect(ok.errors).toBeUndefined();
    expect(ok.data?.enheter.totalCount).toBeGreaterThan(0);
    sql.reset();
    expectRefused(await gql(SEARCH, { f: { organisasjonsform: forms(51) } }), {
      field: 'filter.organisasjonsform',
      max: 50,
    });
    expect(sql.count).toBe(0);
  });

  it.each(['PREFIKS', 'FUZZY'])(
    'navn (%s): 175 characters answer, 176 are refused',
    async (navnSok) => {
      const ok = await gql(SEARCH, { f: { navn: 'F'.repeat(175), navnSok } });
      expect(ok.errors).toBeUndefined();
      expect(ok.data?.enheter.totalCount).toBe(0);
      sql.reset();
      expectRefused(await gql(SEARCH, { f: { navn: 'F'.repeat(176), navnSok } }), {
        field: 'filter.navn',
        max: 175,
      });
      expect(sql.count).toBe(0);
    },
  );
});
