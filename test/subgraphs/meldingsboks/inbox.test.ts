import { describe, expect, it } from 'vitest';
import { codes } from '../../harness/graphql.js';
import { expectCommittedSdl } from '../../harness/graph.js';
import { act, gql, inbox, ORG, reader, send, sender, useMeldingsboks } from './helpers.js';

// No background publisher, mass sender or webhook dispatcher: their polling would count among
// the statements measured here.
const fixture = useMeldingsboks({
  publishIntervalMs: 3_600_000,
  massSendingIntervalMs: 3_600_000,
  webhookPollMs: 3_600_000,
});
const HAVBRIS = (text: string) => `HAVBRIS SEILFORENING (310049360): ${text}`;

/** Fills the sailing club's inbox (empty in the demo data) with `n` messages, oldest first. */
async function fill(n: number, overrides: (i: number) => Record<string, unknown> = () => ({})) {
  const sent = [];
  for (let i = 0; i < n; i++) {
    sent.push(
      await send(fixture, {
        recipient: ORG.seilforening,
        title: HAVBRIS(`melding ${i}`),
        ...overrides(i),
      }),
    );
  }
  return sent;
}

const page = async (args: string, orgnr: string = ORG.seilforening) => {
  const r = await inbox(fixture, orgnr, reader(orgnr), args);
  expect(r.errors).toBeUndefined();
  return r.data._entities[0].inbox;
};

describe('Enhet.inbox', () => {
  it('serves the SDL committed in schema/', () => expectCommittedSdl(fixture.subgraph));

  let sent: Array<{ id: string }> = [];

  it('lists newest first with totalCount and unreadCount, only its own messages', async () => {
    // Oslo lets Skatteetaten send for it (onBehalfOf below).
    const grant = `mutation { authoriseSender(technicalSender: "${ORG.skatteetaten}") { id } }`;
    expect((await gql(fixture, grant, {}, sender(ORG.oslo))).errors).toBeUndefined();
    sent = await fill(25, (i) => ({
      service: i % 5 === 0 ? 'HELSE_SOSIAL_OMSORG' : 'SKATTER_AVGIFTER',
      ...(i % 5 === 0 ? { onBehalfOf: ORG.oslo } : {}),
    }));
    await act(fixture, 'markMessageAsRead', sent[24]!.id, reader(ORG.seilforening));
    await act(fixture, 'markMessageAsRead', sent[0]!.id, reader(ORG.seilforening));
    const p = await page('first: 10');
    expect(p.totalCount).toBe(25);
    expect(p.unreadCount).toBe(23);
    expect(p.nodes.map((m: { id: string }) => m.id)).toEqual(
      sent
        .slice(15)
        .reverse()
        .map((m) => m.id),
    );
    expect(p.nodes[0].unread).toBe(false);
    const bakeri = await page('first: 50', ORG.bakeri);
    expect(bakeri.nodes.every((m: { title: string }) => m.title.includes('310012343'))).toBe(true);
  });

  it('pages forward with after, no overlap and no gap', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const p = await page(`first: 7${after ? `, after: "${after}"` : ''}`);
      seen.push(...p.nodes.map((m: { id: string }) => m.id));
      if (!p.pageInfo.hasNextPage) break;
      after = p.pageInfo.endCursor;
    }
    expect(seen).toEqual(sent.map((m) => m.id).reverse());
    const bad = await inbox(fixture, ORG.seilforening, reader(ORG.seilforening), 'after: "nope"');
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    const big = await inbox(fixture, ORG.seilforening, reader(ORG.seilforening), 'first: 101');
    expect(codes(big)).toEqual(['BAD_USER_INPUT']);
  });

  it('filters by status, service, sender, unread, date range and title text', async () => {
    const count = async (filter: string) =>
      (await page(`first: 100, filter: { ${filter} }`)).totalCount;
    expect(await count('services: [HELSE_SOSIAL_OMSORG]')).toBe(5);
    expect(await count(`senders: ["${ORG.oslo}"]`)).toBe(5);
    expect(await count(`senders: ["${ORG.skatteetaten}"]`)).toBe(20);
    expect(await count('statuses: [READ]')).toBe(2);
    expect(await count('statuses: [PUBLISHED]')).toBe(23);
    expect(await count('unreadOnly: true')).toBe(23);
    expect(await count('titleContains: "MELDING 1"')).toBe(11); // 1, 10–19
    expect(await count('titleContains: "%"')).toBe(0); // a literal %, not a wildcard
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect(await count(`publishedFrom: "${future}"`)).toBe(0);
    expect(await count(`publishedBefore: "${future}"`)).toBe(25);
    expect(await count('services: [HELSE_SOSIAL_OMSORG], unreadOnly: true')).toBe(4);
    const filtered = await page('first: 100, filter: { services: [HELSE_SOSIAL_OMSORG] }');
    expect(filtered.unreadCount).toBe(4);
    expect(filtered.nodes.every((m: { serviceCode: string }) => m.serviceCode === '4255/2')).toBe(
      true,
    );
  });

  it('costs the same number of SQL statements for a page of 50 as for a page of 5', async () => {
    await fill(30);
    const query = (first: number) =>
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Enhet {
        inbox(first: ${first}) { totalCount unreadCount edges { cursor node {
          id title sender { organisasjonsnummer } recipient { organisasjonsnummer }
          attachments { name } statusHistory { status at }
        } } } } } }`;
    const statements = async (first: number) => {
      fixture.sql.reset();
      const r = await gql(
        fixture,
        query(first),
        { r: [{ __typename: 'Enhet', organisasjonsnummer: ORG.seilforening }] },
        reader(ORG.seilforening),
      );
      expect(r.errors).toBeUndefined();
      expect(r.data._entities[0].inbox.edges).toHaveLength(first);
      return fixture.sql.count;
    };
    const small = await statements(5);
    const large = await statements(50);
    expect(large).toBe(small);
    // grants, page, total, unread, attachments, status history
    expect(large).toBeLessThanOrEqual(6);
  });

  it('counts without fetching a page when only the counts are asked for', async () => {
    fixture.sql.reset();
    const r = await inbox(fixture, ORG.seilforening, reader(ORG.seilforening), 'first: 50');
    expect(r.errors).toBeUndefined();
    const withPage = fixture.sql.statements.filter((s) =>
      s.includes('publish_seq" desc limit'),
    ).length;
    fixture.sql.reset();
    const counts = await gql(
      fixture,
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Enhet { inbox(first: 50) { totalCount unreadCount } } } }`,
      { r: [{ __typename: 'Enhet', organisasjonsnummer: ORG.seilforening }] },
      reader(ORG.seilforening),
    );
    expect(counts.data._entities[0].inbox.totalCount).toBeGreaterThan(0);
    expect(withPage).toBe(1);
    expect(fixture.sql.statements.filter((s) => s.includes('publish_seq" desc limit'))).toEqual([]);
  });

  it('shows a scheduled message only once it is published', async () => {
    const before = (await page('first: 1')).totalCount;
    await send(
      fixture,
      {
        recipient: ORG.seilforening,
        title: HAVBRIS('senere'),
        requestedPublishTime: new Date(Date.now() + 3600_000).toISOString(),
      },
      sender(),
    );
    expect((await page('first: 1')).totalCount).toBe(before);
  });
});
