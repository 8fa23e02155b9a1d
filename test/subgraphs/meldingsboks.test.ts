import { describe, expect, it } from 'vitest';
import { definition } from '../../subgraphs/meldingsboks/index.js';
import { codes, post } from '../harness/graphql.js';
import { expectCommittedSdl, useTestSubgraph } from '../harness/graph.js';

const fixture = useTestSubgraph(definition);
const { sql } = fixture;

const INBOXES = `query ($r: [_Any!]!, $first: Int!) {
  _entities(representations: $r) {
    ... on Enhet { organisasjonsnummer inbox(first: $first) { id title serviceCode createdAt sender { organisasjonsnummer } recipient { organisasjonsnummer } } }
  }
}`;
const enheter = (...orgnrs: string[]) =>
  orgnrs.map((organisasjonsnummer) => ({ __typename: 'Enhet', organisasjonsnummer }));

describe('meldingsboks subgraph alone', () => {
  it('serves the SDL committed in schema/', () => expectCommittedSdl(fixture.subgraph));

  it('lists each inbox newest first, for many enheter in one SQL statement', async () => {
    sql.reset();
    const r = await post(fixture.subgraph.url, INBOXES, {
      r: enheter('310012343', '310024686', '310049360'),
      first: 10,
    });
    expect(r.errors).toBeUndefined();
    const [bakeri, regnskap, seilforening] = r.data!._entities;
    expect(bakeri.inbox.map((m: { serviceCode: string }) => m.serviceCode)).toEqual([
      '4255/7',
      '4255/8',
    ]);
    expect(
      bakeri.inbox.every(
        (m: { recipient: { organisasjonsnummer: string } }) =>
          m.recipient.organisasjonsnummer === '310012343',
      ),
    ).toBe(true);
    expect(regnskap.inbox).toHaveLength(1);
    expect(regnskap.inbox[0].sender).toEqual({ organisasjonsnummer: '974760673' });
    expect(seilforening.inbox).toEqual([]);
    expect(sql.count).toBe(1);
  });

  it('honours first per enhet', async () => {
    const r = await post(fixture.subgraph.url, INBOXES, { r: enheter('310012343'), first: 1 });
    expect(r.data?._entities[0].inbox).toHaveLength(1);
    expect(r.data?._entities[0].inbox[0].serviceCode).toBe('4255/7');
  });

  it('rejects a page larger than 100 with BAD_USER_INPUT', async () => {
    const r = await post(fixture.subgraph.url, INBOXES, { r: enheter('310012343'), first: 101 });
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
  });

  it('resolves messages by id, null for unknown or malformed ids', async () => {
    const id = '6f1c0a9e-1d2b-4c3d-8e4f-000000000003';
    const r = await post(
      fixture.subgraph.url,
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Message { id title } } one: message(id: "${id}") { id } none: message(id: "nope") { id } }`,
      {
        r: [
          { __typename: 'Message', id },
          { __typename: 'Message', id: '00000000-0000-4000-8000-000000000000' },
        ],
      },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data?._entities[0]).toMatchObject({
      id,
      title: expect.stringContaining('NORDLYS REGNSKAP AS'),
    });
    expect(r.data?._entities[1]).toBeNull();
    expect(r.data?.one).toEqual({ id });
    expect(r.data?.none).toBeNull();
  });
});
