import { describe, expect, it } from 'vitest';
import { definition } from '../../subgraphs/enhetsregisteret/index.js';
import { asCaller } from '../harness/auth.js';
import { codes, post } from '../harness/graphql.js';
import { useTestSubgraph } from '../harness/graph.js';

const fixture = useTestSubgraph(definition);
const BAKERI = '310012343';
const READ = `query ($n: String!) { enhet(organisasjonsnummer: $n) { navn varslingsadresser { kanal adresse } } }`;
const SET = `mutation ($n: String!, $e: [String!], $m: [String!]) { settVarslingsadresser(organisasjonsnummer: $n, epost: $e, mobil: $m) { varslingsadresser { kanal adresse } } }`;
const read = async (headers: Record<string, string>) =>
  post(fixture.subgraph.url, READ, { n: BAKERI }, headers);
const stored = () =>
  fixture.db.query(
    `select kanal, adresse from enhetsregisteret.varslingsadresse where organisasjonsnummer = $1 order by 1, 2`,
    [BAKERI],
  );

describe('varslingsadresser: who may read them', () => {
  it.each([
    ['anonymous', {}],
    ['another organisation with dpv:read', { org: '310024686', scope: 'dpv:read' }],
    ['the enhet itself without dpv:read', { org: BAKERI, scope: 'dpv:send' }],
    ['an admin of notification policies', { scope: 'varsling:admin' }],
  ] as const)(
    '%s: FORBIDDEN for the field, the rest of the enhet resolves',
    async (_who, claims) => {
      const headers = 'org' in claims || 'scope' in claims ? await asCaller(claims) : {};
      const r = await read(headers);
      expect(codes(r)).toEqual(['FORBIDDEN']);
      expect(r.errors?.[0]?.path).toEqual(['enhet', 'varslingsadresser']);
      // The list is nullable: the refusal nulls it alone, and the public name still arrives.
      expect(r.data?.enhet).toEqual({ navn: 'FJELLTOPP BAKERI AS', varslingsadresser: null });
    },
  );

  it('the enhet itself with dpv:read reads its own', async () => {
    const r = await read(await asCaller({ org: BAKERI, scope: 'dpv:read' }));
    expect(r.errors).toBeUndefined();
    expect(r.data?.enhet.varslingsadresser).toEqual([
      { kanal: 'EPOST', adresse: 'post@fjelltopp-bakeri.example' },
      { kanal: 'MOBIL', adresse: '+4791234567' },
    ]);
  });

  it("varsling's internal identity reads any enhet's", async () => {
    const r = await read(
      await asCaller({ sub: 'service:varsling', scope: 'internal:varslingsadresser:read' }),
    );
    expect(r.errors).toBeUndefined();
    expect(r.data?.enhet.varslingsadresser).toHaveLength(2);
  });
});

describe('settVarslingsadresser', () => {
  const writer = () => asCaller({ org: BAKERI, scope: 'enhetsregisteret:write dpv:read' });

  it('replaces the set, normalised, for the enhet itself with enhetsregisteret:write', async () => {
    const r = await post(
      fixture.subgraph.url,
      SET,
      {
        n: BAKERI,
        e: ['Regnskap@Fjelltopp.example', 'regnskap@fjelltopp.example'],
        m: ['+47 912 34 560'],
      },
      await writer(),
    );
    expect(r.errors).toBeUndefined();
    expect(r.data?.settVarslingsadresser.varslingsadresser).toEqual([
      { kanal: 'EPOST', adresse: 'regnskap@fjelltopp.example' },
      { kanal: 'MOBIL', adresse: '+4791234560' },
    ]);
    expect(await stored()).toHaveLength(2);
  });

  it.each([
    [{ e: ['not-an-address'] }, 'epost'],
    [{ m: ['+4612345678'] }, 'mobil'],
    [{ m: ['+47 1234 5678'] }, 'mobil'],
    [{ e: [], m: [] }, 'epost'],
  ])('refuses %j with BAD_USER_INPUT and leaves the stored set as it was', async (input, field) => {
    const before = await stored();
    const r = await post(fixture.subgraph.url, SET, { n: BAKERI, ...input }, await writer());
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors?.[0]?.extensions?.field).toBe(field);
    expect(await stored()).toEqual(before);
  });

  it('answers NOT_FOUND for an enhet that is not registered', async () => {
    const r = await post(
      fixture.subgraph.url,
      SET,
      { n: '310061700', e: ['x@y.example'] },
      await asCaller({ org: '310061700', scope: 'enhetsregisteret:write' }),
    );
    expect(codes(r)).toEqual(['NOT_FOUND']);
    expect(
      await fixture.db.query(
        `select 1 from enhetsregisteret.varslingsadresse where organisasjonsnummer = '310061700'`,
      ),
    ).toEqual([]);
  });

  it('refuses other organisations, missing scope, and anonymous callers', async () => {
    for (const claims of [
      { org: '310024686', scope: 'enhetsregisteret:write' },
      { org: BAKERI, scope: 'dpv:read' },
    ]) {
      const r = await post(
        fixture.subgraph.url,
        SET,
        { n: BAKERI, e: ['x@y.example'] },
        await asCaller(claims),
      );
      expect(codes(r)).toEqual(['FORBIDDEN']);
    }
    expect(codes(await post(fixture.subgraph.url, SET, { n: BAKERI, e: ['x@y.example'] }))).toEqual(
      ['FORBIDDEN'],
    );
    expect(
      codes(
        await post(
          fixture.subgraph.url,
          SET,
          { n: '31001234', e: ['x@y.example'] },
          await writer(),
        ),
      ),
    ).toEqual(['INVALID_ORGNR']);
  });
});
