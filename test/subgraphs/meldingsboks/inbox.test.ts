import { describe, expect, it } from 'vitest';
import { definition } from '../../subgraphs/meldingsboks/index.js';
import { InternalIdentity } from '../../platform/auth/internalIdentity.js';
import { asCaller } from '../harness/auth.js';
import { codes, post } from '../harness/graphql.js';
import { expectCommittedSdl, useTestSubgraph } from '../harness/graph.js';

const fixture = useTestSubgraph(definition);
const { sql } = fixture;
/** Each enhet may read only its own inbox; the batching test reads three, so it acts for each. */
const inboxAs = async (orgnr: string, first = 10) =>
  post(
    fixture.subgraph.url,
    INBOXES,
    { r: enheter(orgnr), first },
    await asCaller({ org: orgnr, scope: 'dpv:read' }),
  );

const INBOXES = `query ($r: [_Any!]!, $first: Int!) {
  _entities(representations: $r) {
    ... on Enhet { organisasjonsnummer inbox(first: $first) { id title serviceCode createdAt sender { organisasjonsnummer } recipient { organisasjonsnummer } } }
  }
}`;
const enheter = (...orgnrs: string[]) =>
  orgnrs.map((organisasjonsnummer) => ({ __typename: 'Enhet', organisasjonsnummer }));

describe('meldingsboks subgraph alone', () => {
  it('serves the SDL committed in schema/', () => expectCommittedSdl(fixture.subgraph));

  it('lists each inbox newest first, only its own messages', async () => {
    const [bakeriR, regnskapR, seilR] = await Promise.all([
      inboxAs('310012343'),
      inboxAs('310024686'),
      inboxAs('310049360'),
    ]);
    for (const r of [bakeriR, regnskapR, seilR]) expect(r.errors).toBeUndefined();
    const bakeri = bakeriR.data!._entities[0];
    const regnskap = regnskapR.data!._entities[0];
    const seilforening = seilR.data!._entities[0];
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
  });

  it('resolves many inbox representations in one request with one SQL statement', async () => {
    sql.reset();
    const r = await post(
      fixture.subgraph.url,
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Enhet { a: inbox(first: 1) { id } b: inbox(first: 2) { id } } } }`,
      { r: enheter('310012343', '310012343') },
      await asCaller({ org: '310012343', scope: 'dpv:read' }),
    );
    expect(r.errors).toBeUndefined();
    expect(r.data?._entities[1].b).toHaveLength(2);
    expect(sql.count).toBe(1);
  });

  it('honours first per enhet', async () => {
    const r = await inboxAs('310012343', 1);
    expect(r.data?._entities[0].inbox).toHaveLength(1);
    expect(r.data?._entities[0].inbox[0].serviceCode).toBe('4255/7');
  });

  it('rejects a page larger than 100 with BAD_USER_INPUT', async () => {
    const r = await inboxAs('310012343', 101);
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
      await asCaller({ org: '310024686', scope: 'dpv:read' }),
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

describe('meldingsboks authorization (inbox contents are private)', () => {
  const bakeriInbox = (headers: Record<string, string>) =>
    post(fixture.subgraph.url, INBOXES, { r: enheter('310012343'), first: 10 }, headers);
  const message = (headers: Record<string, string>) =>
    post(
      fixture.subgraph.url,
      `{ message(id: "6f1c0a9e-1d2b-4c3d-8e4f-000000000001") { id title } }`,
      {},
      headers,
    );

  it('refuses an anonymous caller', async () => {
    const r = await bakeriInbox({});
    expect(codes(r)).toEqual(['FORBIDDEN']);
    expect(codes(await message({}))).toEqual(['FORBIDDEN']);
  });

  it('refuses another organisation, even with dpv:read', async () => {
    const other = await asCaller({ org: '310024686', scope: 'dpv:read' });
    expect(codes(await bakeriInbox(other))).toEqual(['FORBIDDEN']);
    expect(codes(await message(other))).toEqual(['FORBIDDEN']);
  });

  it('refuses the organisation itself without scope dpv:read', async () => {
    const noScope = await asCaller({ org: '310012343', scope: 'dpv:send' });
    expect(codes(await bakeriInbox(noScope))).toEqual(['FORBIDDEN']);
  });

  it('lets the sender read what it sent, with dpv:send', async () => {
    const r = await message(await asCaller({ org: '974761076', scope: 'dpv:send' }));
    expect(r.errors).toBeUndefined();
    expect(r.data?.message.id).toBe('6f1c0a9e-1d2b-4c3d-8e4f-000000000001');
  });

  it('does not trust an identity signed with another secret, nor a raw header', async () => {
    const forger = new InternalIdentity('a forger guessing the secret, 32 chars long');
    const forged = {
      'dpv-caller': await forger.sign({
        anonymous: false,
        sub: 'x',
        org: '310012343',
        scopes: new Set(['dpv:read']),
      }),
    };
    expect(codes(await bakeriInbox(forged))).toEqual(['FORBIDDEN']);
    const raw = { 'dpv-caller': JSON.stringify({ org: '310012343', scope: 'dpv:read' }) };
    expect(codes(await bakeriInbox(raw))).toEqual(['FORBIDDEN']);
    expect(codes(await bakeriInbox({ 'x-org': '310012343' }))).toEqual(['FORBIDDEN']);
  });

  it('lets the enhet read its own inbox with dpv:read', async () => {
    const r = await bakeriInbox(await asCaller({ org: '310012343', scope: 'dpv:read' }));
    expect(r.errors).toBeUndefined();
    expect(r.data?._entities[0].inbox).toHaveLength(2);
  });
});
