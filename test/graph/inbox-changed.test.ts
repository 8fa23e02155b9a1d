import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PERSONS } from '../../subgraphs/enhetsregisteret/seed.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { post } from '../harness/graphql.js';
import { startTestGraph, type SubgraphFixture, type TestGraph } from '../harness/graph.js';
import { ORG, send as sendTo } from '../subgraphs/meldingsboks/helpers.js';
import {
  disposeAll,
  errorCodes,
  LIVE_MS,
  openSocket,
  sleep,
  until,
  type Feed,
} from './subscriptionHelpers.js';

/**
 * inboxChanged through the gateway with the stock graphql-ws client: what a frontend showing an
 * inbox needs to stay right without polling, for exactly what the caller may see of the inbox.
 */

let db: TestDatabase;
let graph: TestGraph;

beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url);
});
afterEach(() => disposeAll());
afterAll(async () => {
  await graph?.close();
  await db?.drop();
});

interface Change {
  cursor: string;
  status: string;
  messageId: string;
  unreadCount: number;
  message: { id: string; title: string; sender: { navn: string } } | null;
}

const FEED = `subscription ($recipient: String!, $after: String) {
  inboxChanged(recipient: $recipient, after: $after) {
    cursor status messageId unreadCount message { id title sender { navn } } } }`;

const fixture = () => ({ subgraph: graph.subgraphs.get('meldingsboks')! }) as SubgraphFixture;
const send = (overrides: Record<string, unknown> = {}) =>
  sendTo(fixture(), { recipient: ORG.bakeri, ...overrides });

type Claims = Parameters<TestGraph['as']>[0];
const bakery = (sub = 'bakery-frontend'): Claims => ({ sub, org: ORG.bakeri, scope: 'dpv:read' });
const person = (pid: string): Claims => ({
  sub: `idporten-${pid.slice(-3)}`,
  org: ORG.bakeri,
  pid,
  scope: 'dpv:read',
});

async function follow(claims: Claims, after?: string): Promise<Feed<Change>> {
  const socket = openSocket(graph.gateway.url, await graph.as(claims));
  const feed = socket.subscribe<Change>(FEED, { recipient: ORG.bakeri, after });
  await sleep(LIVE_MS);
  return feed;
}

async function act(mutation: string, id: string, claims: Claims) {
  const r = await post(
    graph.gateway.url,
    `mutation ($id: ID!) { ${mutation}(id: $id) { id status } }`,
    { id },
    await graph.as(claims),
  );
  expect(r.errors).toBeUndefined();
}

async function unreadNow(claims: Claims): Promise<number> {
  const r = await post(
    graph.gateway.url,
    `query ($n: String!) { enhet(organisasjonsnummer: $n) { inbox(first: 1) { unreadCount } } }`,
    { n: ORG.bakeri },
    await graph.as(claims),
  );
  return r.data.enhet.inbox.unreadCount as number;
}

describe('inboxChanged', () => {
  it('follows new messages, status changes by a colleague and by a firm, and the unread count', async () => {
    const feed = await follow(bakery());
    const unread = await unreadNow(bakery());
    const m = await send({
      title: 'FJELLTOPP BAKERI AS (310012343): vedtak',
      isConfirmationNeeded: true,
    });
    await until(() => feed.events.length === 1);
    expect(feed.events[0]).toMatchObject({
      status: 'PUBLISHED',
      messageId: m.id,
      unreadCount: unread + 1,
      message: { id: m.id, title: m.title, sender: { navn: expect.any(String) } },
    });

    // A colleague reads it; the firm (the bakery's REGN, granted ALL_DPV) confirms and archives it.
    await act('markMessageAsRead', m.id, bakery('colleague'));
    const firm: Claims = { sub: 'firm', org: ORG.regnskap, scope: 'dpv:read' };
    await act('confirmMessage', m.id, firm);
    await act('archiveMessage', m.id, firm);
    await act('purgeMessage', m.id, bakery('colleague'));
    await until(() => feed.events.length === 5);
    expect(feed.events.map((e) => [e.status, e.messageId, e.unreadCount])).toEqual([
      ['PUBLISHED', m.id, unread + 1],
      ['READ', m.id, unread],
      ['CONFIRMED', m.id, unread],
      ['ARCHIVED', m.id, unread],
      ['PURGED_BY_RECIPIENT', m.id, unread],
    ]);
    expect(feed.events[4]!.message).toBeNull();
    expect(feed.errors).toEqual([]);

    // Resumed from the first change's cursor: the rest again, in order, then live.
    const resumed = await follow(bakery(), feed.events[0]!.cursor);
    await until(() => resumed.events.length === 4);
    expect(resumed.events.map((e) => e.cursor)).toEqual(feed.events.slice(1).map((e) => e.cursor));
    const next = await send();
    await until(() => resumed.events.length === 5);
    expect(resumed.events[4]).toMatchObject({ status: 'PUBLISHED', messageId: next.id });
  });

  it('shows only what the caller may see: confidential post stays hidden without its grant', async () => {
    const feed = await follow(bakery());
    const hidden = await send({ service: 'TAUSHETSBELAGT' });
    const shown = await send();
    await until(() => feed.events.length >= 1);
    await sleep(300);
    expect(feed.events.map((e) => e.messageId)).toEqual([shown.id]);
    expect(JSON.stringify(feed.events)).not.toContain(hidden.id);
  });

  it('a person reads by a role that carries Post/arkiv (the daglig leder)', async () => {
    const feed = await follow(person(DEMO_PERSONS.ola));
    const m = await send();
    await until(() => feed.events.length === 1);
    expect(feed.events[0]).toMatchObject({ status: 'PUBLISHED', messageId: m.id });
    expect(feed.errors).toEqual([]);
  });

  it.each([
    ['a firm without a grant', { sub: 'oslo', org: ORG.oslo, scope: 'dpv:read' }],
    ['a person without a role', person(DEMO_PERSONS.nina)],
    ['a board member (no right by role)', person(DEMO_PERSONS.per)],
    ['the bakery without dpv:read', { sub: 'bakery', org: ORG.bakeri, scope: 'dpv:send' }],
  ] as Array<[string, Claims]>)('%s gets FORBIDDEN and nothing else', async (_who, claims) => {
    const feed = await follow(claims);
    await send();
    await until(() => feed.done);
    await sleep(300);
    expect(feed.events).toEqual([]);
    expect(errorCodes(feed)).toEqual(['FORBIDDEN']);
  });
});
