import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSubgraph } from '../../platform/subgraph.js';
import { definition as enhetsregisteret } from '../../subgraphs/enhetsregisteret/index.js';
import { definition as meldingsboks } from '../../subgraphs/meldingsboks/index.js';
import type { TokenOptions } from '../harness/auth.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { bearer, post } from '../harness/graphql.js';
import {
  startTestGraph,
  startTestSubgraph,
  type SubgraphFixture,
  type TestGraph,
} from '../harness/graph.js';
import { ORG, owner, reader, send as sendTo } from '../subgraphs/meldingsboks/helpers.js';
import {
  closed,
  connected,
  disposeAll,
  errorCodes,
  openSocket,
  sleep,
  until,
  type Feed,
} from './subscriptionHelpers.js';

/**
 * Federated subscriptions end to end: graphql-ws on the gateway's own URL, routed to meldingsboks
 * with the subscriber's identity, each event completed from the other subgraphs.
 */

let db: TestDatabase;
let graph: TestGraph;
/** Subgraphs started again by the restart tests. */
let restarted: RunningSubgraph | undefined;
let restartedRegister: RunningSubgraph | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url);
});
afterEach(() => disposeAll());
afterAll(async () => {
  await graph?.close();
  await restarted?.close();
  await restartedRegister?.close();
  await db?.drop();
});

interface Event {
  cursor: string;
  message: {
    id: string;
    title: string;
    sender: { navn: string };
    recipient: { organisasjonsnummer: string; navn: string };
  };
}

// title comes from meldingsboks, every navn from Enhetsregisteret.
const EVENT = `cursor message { id title sender { navn } recipient { organisasjonsnummer navn } }`;
const INBOX_FEED = `subscription ($recipient: String!, $after: String) {
  messagePublished(recipient: $recipient, after: $after) { ${EVENT} } }`;
const CLIENT_FEED = `subscription ($after: String) { clientMessagePublished(after: $after) { ${EVENT} } }`;

const NAVN: Record<string, string> = {
  [ORG.bakeri]: 'FJELLTOPP BAKERI AS',
  [ORG.snekker]: 'KARI NORDMANN SNEKKERVERKSTED',
};
/** helpers.send's default sender. */
const SENDER_NAVN = 'SKATTEETATEN';

/** Time for the gateway to subscribe upstream: a feed without `after` starts at the head. */
const LIVE_MS = 750;
/** How long to wait for anything that should not arrive. */
const SETTLE_MS = 600;

/** A socket to the gateway with a token for `claims` (anonymous without). */
async function connect(claims?: TokenOptions) {
  const params = claims ? bearer(await graph.issuer.token(claims)) : {};
  return openSocket(graph.gateway.url, params);
}

/** Connects, subscribes, and waits until the subscription is live. */
async function subscribe(
  claims: TokenOptions | undefined,
  query: string,
  variables: Record<string, unknown> = {},
) {
  const socket = await connect(claims);
  await connected(socket);
  const feed = socket.subscribe<Event>(query, variables);
  await sleep(LIVE_MS);
  expect(feed.errors).toEqual([]);
  expect(feed.failures).toEqual([]);
  return { socket, feed };
}

let sent = 0;
/** Sends a message (as Skatteetaten, an approved sender) straight to meldingsboks. */
function send(recipient: string, label: string): Promise<{ id: string; title: string }> {
  const fixture = { subgraph: graph.subgraphs.get('meldingsboks')! } as SubgraphFixture;
  return sendTo(fixture, { recipient, title: `e2e ${++sent}: ${label}` });
}

/** A mutation through the gateway's HTTP endpoint by the owner of `org` (dpv:read dpv:grant). */
async function asOwner(org: string, mutation: string): Promise<any> {
  const r = await post(
    graph.gateway.url,
    `mutation { ${mutation} }`,
    {},
    await graph.as(owner(org)),
  );
  expect(r.errors).toBeUndefined();
  return r.data;
}

const ids = (feed: Feed<Event>) => feed.events.map((e) => e.message.id);

/** Waits for `n` events, then a while longer, and asserts that no more came. */
async function received(feed: Feed<Event>, n: number, timeout = 10_000) {
  await until(() => feed.events.length >= n, timeout);
  await sleep(SETTLE_MS);
  expect(feed.events).toHaveLength(n);
  expect(feed.errors).toEqual([]);
  expect(feed.failures).toEqual([]);
}

describe('clientMessagePublished: an accounting firm follows its clients through the gateway', () => {
  beforeAll(async () => {
    // The bakery granted NORDLYS REGNSKAP access in the demo data; the carpenter does so now.
    const data = await asOwner(
      ORG.snekker,
      `grantInboxAccess(owner: "${ORG.snekker}", grantee: "${ORG.regnskap}", scope: { kind: ALL_DPV }) { viaRole }`,
    );
    expect(data.grantInboxAccess.viaRole).toBe('REGN');
  });

  it("delivers the granted clients' messages only, each completed with Enhetsregisteret's names", async () => {
    const { feed } = await subscribe(reader(ORG.regnskap), CLIENT_FEED);
    const toBakeri = await send(ORG.bakeri, 'to the bakery');
    await send(ORG.seilforening, 'to an enhet that granted nothing');
    const toSnekker = await send(ORG.snekker, 'to the carpenter');
    await received(feed, 2);
    expect(feed.events.map((e) => e.message)).toEqual(
      [toBakeri, toSnekker].map((m, i) => {
        const organisasjonsnummer = [ORG.bakeri, ORG.snekker][i]!;
        return {
          id: m.id,
          title: m.title,
          sender: { navn: SENDER_NAVN },
          recipient: { organisasjonsnummer, navn: NAVN[organisasjonsnummer] },
        };
      }),
    );
    const cursors = feed.events.map((e) => e.cursor);
    expect(cursors.every((c) => typeof c === 'string' && c.length > 0)).toBe(true);
    expect(new Set(cursors).size).toBe(2);
  });

  it("stops a client's inbox as soon as its owner revokes the grant, and goes on with the others", async () => {
    const { feed } = await subscribe(reader(ORG.regnskap), CLIENT_FEED);
    const before = await send(ORG.snekker, 'before the revocation');
    await until(() => feed.events.length === 1);
    expect(ids(feed)).toEqual([before.id]);

    await asOwner(
      ORG.snekker,
      `revokeInboxAccess(owner: "${ORG.snekker}", grantee: "${ORG.regnskap}") { revokedAt }`,
    );
    await send(ORG.snekker, 'after the revocation');
    const other = await send(ORG.bakeri, 'to a client that still grants access');
    await received(feed, 2);
    expect(ids(feed)).toEqual([before.id, other.id]);
    expect(feed.done).toBe(false);
  });
});

describe('messagePublished through the gateway', () => {
  it('resumes after a reconnect from the cursor: what was missed in order, then live, no duplicate', async () => {
    const first = await subscribe(reader(ORG.bakeri), INBOX_FEED, { recipient: ORG.bakeri });
    const m1 = await send(ORG.bakeri, 'm1');
    const m2 = await send(ORG.bakeri, 'm2');
    await received(first.feed, 2);
    expect(ids(first.feed)).toEqual([m1.id, m2.id]);
    expect(first.feed.events[0]!.message.recipient.navn).toBe(NAVN[ORG.bakeri]);
    const cursor = first.feed.events[1]!.cursor;
    await first.socket.dispose();

    const m3 = await send(ORG.bakeri, 'm3, while disconnected');
    const m4 = await send(ORG.bakeri, 'm4, while disconnected');
    const socket = await connect(reader(ORG.bakeri));
    const resumed = socket.subscribe<Event>(INBOX_FEED, { recipient: ORG.bakeri, after: cursor });
    await until(() => resumed.events.length >= 2);
    expect(ids(resumed)).toEqual([m3.id, m4.id]);
    expect(resumed.events.map((e) => e.message.title)).toEqual([m3.title, m4.title]);

    const m5 = await send(ORG.bakeri, 'm5, live');
    await received(resumed, 3);
    expect(ids(resumed)).toEqual([m3.id, m4.id, m5.id]);
    expect(resumed.events[2]!.message.sender.navn).toBe(SENDER_NAVN);
  });

  it('survives a restart of meldingsboks: the gateway resubscribes from the last cursor', async () => {
    const { socket, feed } = await subscribe(reader(ORG.bakeri), INBOX_FEED, {
      recipient: ORG.bakeri,
    });
    const m1 = await send(ORG.bakeri, 'before the restart');
    await until(() => feed.events.length === 1);

    const old = graph.subgraphs.get('meldingsboks')!;
    const m2 = await send(ORG.bakeri, 'right before the stop');
    await old.close();
    restarted = await startTestSubgraph(meldingsboks, db.url, {
      port: old.port,
      peers: { enhetsregisteret: graph.subgraphs.get('enhetsregisteret')!.url },
    });
    // Later sends (and graph.close) use the new instance.
    graph.subgraphs.set('meldingsboks', restarted);
    const m3 = await send(ORG.bakeri, 'after the restart');

    await received(feed, 3, 20_000);
    expect(ids(feed)).toEqual([m1.id, m2.id, m3.id]);
    expect(feed.events[2]!.message.recipient.navn).toBe(NAVN[ORG.bakeri]);
    expect(feed.done).toBe(false);
    // The client never noticed.
    expect(socket.closes).toEqual([]);
  }, 40_000);

  it('an error in the rest of the plan is an error on that event, and the subscription goes on', async () => {
    const { socket, feed } = await subscribe(reader(ORG.bakeri), INBOX_FEED, {
      recipient: ORG.bakeri,
    });
    // Sent (its recipient checked) while Enhetsregisteret is up, published after it is stopped.
    const fixture = { subgraph: graph.subgraphs.get('meldingsboks')! } as SubgraphFixture;
    await sendTo(fixture, {
      recipient: ORG.bakeri,
      title: `e2e ${++sent}: published while Enhetsregisteret is down`,
      requestedPublishTime: new Date(Date.now() + 1_500).toISOString(),
    });
    const register = graph.subgraphs.get('enhetsregisteret')!;
    await register.close();
    await until(() => feed.errors.length > 0, 15_000);
    expect(feed.errors[0]?.extensions).toMatchObject({
      code: 'SUBGRAPH_UNAVAILABLE',
      serviceName: 'enhetsregisteret',
    });
    expect(feed.done).toBe(false);

    restartedRegister = await startTestSubgraph(enhetsregisteret, db.url, {
      port: register.port,
      seedWhenEmpty: false,
    });
    graph.subgraphs.set('enhetsregisteret', restartedRegister);
    const next = await send(ORG.bakeri, 'after Enhetsregisteret is back');
    await until(() => ids(feed).includes(next.id));
    expect(feed.events.at(-1)!.message.sender.navn).toBe(SENDER_NAVN);
    expect(feed.failures).toEqual([]);
    expect(socket.closes).toEqual([]);
  }, 40_000);

  it('anonymous: connected, and an inbox subscription is a FORBIDDEN GraphQL error, not a dropped socket', async () => {
    const socket = await connect();
    await connected(socket);
    const feed = socket.subscribe<Event>(INBOX_FEED, { recipient: ORG.bakeri });
    await until(() => feed.errors.length > 0);
    expect(errorCodes(feed)).toEqual(['FORBIDDEN']);
    expect(feed.events).toEqual([]);
    expect(feed.failures).toEqual([]);
    await sleep(SETTLE_MS);
    expect(socket.closes).toEqual([]);
  });
});

describe('tokens on the socket', () => {
  it.each([
    ['garbage', () => Promise.resolve('not-a-jwt')],
    ['wrongly signed', () => graph.issuer.token({ ...reader(ORG.bakeri), foreignKey: true })],
    ['already expired', () => graph.issuer.token({ ...reader(ORG.bakeri), expiresIn: -60 })],
  ])('%s token: the connection is refused with 4403', async (_name, token) => {
    const socket = openSocket(graph.gateway.url, bearer(await token()));
    const close = await closed(socket);
    expect(close.code).toBe(4403);
    expect(socket.connectedAt).toBeNull();
  });

  it('a token that expires while connected ends the connection with 4403, which clients retry', async () => {
    const token = await graph.issuer.token({ ...reader(ORG.bakeri), expiresIn: 3 });
    const expiresAt = decodeJwt(token).exp! * 1000;
    const socket = openSocket(graph.gateway.url, bearer(token));
    await connected(socket);
    const feed = socket.subscribe<Event>(INBOX_FEED, { recipient: ORG.bakeri });
    const close = await closed(socket, 12_000);
    expect(close.code).toBe(4403);
    expect(close.reason).toMatch(/expir/i);
    // Not before the token's time (a second's leeway for clocks).
    expect(close.at).toBeGreaterThanOrEqual(expiresAt - 1000);
    expect(feed.done).toBe(true);
  });
});
