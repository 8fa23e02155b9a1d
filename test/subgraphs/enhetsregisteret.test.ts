import { describe, expect, it } from 'vitest';
import { definition } from '../../subgraphs/enhetsregisteret/index.js';
import { codes, post } from '../harness/graphql.js';
import { expectCommittedSdl, useTestSubgraph } from '../harness/graph.js';

const fixture = useTestSubgraph(definition);
const { sql } = fixture;

describe('enhetsregisteret subgraph alone', () => {
  it('serves the SDL committed in schema/', () => expectCommittedSdl(fixture.subgraph));

  it('returns an enhet with its organisasjonsform', async () => {
    const r = await post(
      fixture.subgraph.url,
      `{ enhet(organisasjonsnummer: "974761076") { organisasjonsnummer navn organisasjonsform { kode beskrivelse } } }`,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data?.enhet).toEqual({
      organisasjonsnummer: '974761076',
      navn: 'SKATTEETATEN',
      organisasjonsform: { kode: 'ORGL', beskrivelse: 'Organisasjonsledd' },
    });
  });

  it('returns null for a valid number nobody has', async () => {
    const r = await post(
      fixture.subgraph.url,
      `{ enhet(organisasjonsnummer: "310061700") { navn } }`,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data?.enhet).toBeNull();
  });

  it.each([
    ['12345', 'length'],
    ['31001234X', 'non-digits'],
    ['310012344', 'check-digit'],
  ])('rejects %s with INVALID_ORGNR (%s)', async (orgnr, reason) => {
    const r = await post(
      fixture.subgraph.url,
      `query ($n: String!) { enhet(organisasjonsnummer: $n) { navn } }`,
      {
        n: orgnr,
      },
    );
    expect(codes(r)).toEqual(['INVALID_ORGNR']);
    expect(r.errors?.[0]?.extensions?.reason).toBe(reason);
    expect(r.errors?.[0]?.message).toContain(orgnr);
  });

  it('resolves _entities in key order, null for unknown, in two statements for any number', async () => {
    const keys = ['310012343', '999999999', '974761076', '310024686', '958935420'];
    sql.reset();
    const r = await post(
      fixture.subgraph.url,
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Enhet { organisasjonsnummer navn organisasjonsform { kode } } } }`,
      { r: keys.map((organisasjonsnummer) => ({ __typename: 'Enhet', organisasjonsnummer })) },
    );
    expect(r.errors).toBeUndefined();
    expect(
      r.data?._entities.map(
        (e: { organisasjonsnummer: string } | null) => e?.organisasjonsnummer ?? null,
      ),
    ).toEqual(['310012343', null, '974761076', '310024686', '958935420']);
    expect(r.data?._entities[4].organisasjonsform.kode).toBe('KOMM');
    // One statement for the enheter, one for their organisasjonsformer.
    expect(sql.count).toBe(2);
  });
});
