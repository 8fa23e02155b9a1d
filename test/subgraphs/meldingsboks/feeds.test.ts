import { randomUUID } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { publishSql } from '../../../bench/meldingsboks/latency.js';
import { asCaller } from '../../harness/auth.js';
import { gql, ORG, owner, reader, send, useMeldingsboks, type Claims } from './helpers.js';

// No background publisher, mass sender or webhook dispatcher: their polling would count among
// the statements measured here.
const fixture = useMeldingsboks({
  publishIntervalMs: 3_600_000,
  massSendingIntervalMs: 3_600_000,
  webhookPollMs: 3_600_000,
  outboxPruneIntervalMs: 3_600_000,
});
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.dispose();
});

const until = (check: () => boolean, timeout = 5000) =>
  expect.poll(check, { timeout, interval: 20 }).toBe(true);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const FEEDS = {
  messagePublished: `subscription ($recipient: String!) { messagePublished(recipient: $recipient) { cursor message { id } } }`,
  clientMessagePublished: `subscription { clientMessagePublished { cursor message { id } } }`,
  inboxChanged: `subscription ($recipient: String!) { inboxChanged(recipient: $recipient) { cursor status messageId unreadCount message { id } } }`,
} as const;

/** One socket for `claims`, with `n` subscriptions to `field`; collects what arrives. */
async function subscribeMany(
  claims: Claims,
  field: keyof typeof FEEDS,
  n: number,
  variables: Record<string, unknown> = {},
) {
  const client = createClient({
    url: fixture.subgraph.url.replace('http', 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: await asCaller(claims),
    retryAttempts: 0,
  });
  clients.push(client);
  const ids: string[] = [];
  const errors: unknown[] = [];
  for (let i = 0; i < n; i++) {
    client.subscribe<Record<string, { message: { id: string } | null }>>(
      { query: FEEDS[field], variables },
      {
        next: (r) => {
          if (r.errors) errors.push(...r.errors);
          const id = r.data?.[field]?.message?.id;
          if (id) ids.push(id);
        },
        error: (e) => void errors.push(e),
        complete: () => undefined,
      },
    );
  }
  return { ids, errors };
}

/** Publishes a message straight into the tables (outside the measured process). */
async function publish(recipient: string): Promise<string> {
  const id = randomUUID();
  await fixture.db.query(
    `set search_path = meldingsboks, public; ${publishSql([{ id, recipient }], 'Feedtest')}`,
  );
  return id;
}

/** The statements meldingsboks sends while `work` runs and its events are delivered. */
async function statementsDuring(work: () => Promise<() => boolean>): Promise<string[]> {
  fixture.sql.reset();
  const delivered = await work();
  await until(delivered);
  // Anything a feed would still do for the event (another subscriber's load) comes now.
  await sleep(300);
  return [...fixture.sql.statements];
}

describe('the cost of an event', () => {
  it('does not grow with the subscriptions it does not concern: the message is read once for all', async () => {
    const own = await subscribeMany(reader(ORG.bakeri), 'messagePublished', 3, {
      recipient: ORG.bakeri,
    });
    const firm = await subscribeMany(reader(ORG.regnskap), 'clientMessagePublished', 2);
    await sleep(300);
    // Warm: the first event of a feed may still load its access answer.
    const warm = await publish(ORG.bakeri);
    await until(() => own.ids.filter((i) => i === warm).length === 3);

    const measure = async () =>
      statementsDuring(async () => {
        const id = await publish(ORG.bakeri);
        return () =>
          own.ids.filter((i) => i === id).length === 3 &&
          firm.ids.filter((i) => i === id).length === 2;
      });
    const few = await measure();

    // 60 subscriptions that this event does not concern: other inboxes, a firm with no grant
    // from the bakery, and another inbox's inboxChanged.
    const idle = [
      await subscribeMany(reader(ORG.snekker), 'messagePublished', 20, { recipient: ORG.snekker }),
      await subscribeMany(reader(ORG.oslo), 'clientMessagePublished', 20),
      await subscribeMany(reader(ORG.seilforening), 'inboxChanged', 20, {
        recipient: ORG.seilforening,
      }),
    ];
    await sleep(500);
    const many = await measure();
    expect(many.length).toBe(few.length);
    // One statement: the message, for the five subscribers together.
    expect(many.filter((s) => /from "meldingsboks"\."message"/.test(s))).toHaveLength(1);
    expect(many.length).toBeLessThanOrEqual(1);
    for (const i of idle) {
      expect(i.ids).toEqual([]);
      expect(i.errors).toEqual([]);
    }
  });

  it('inboxChanged reads the unread count once per view and event, however many subscribe', async () => {
    const feeds = await subscribeMany(reader(ORG.seilforening), 'inboxChanged', 10, {
      recipient: ORG.seilforening,
    });
    await sleep(300);
    const statements = await statementsDuring(async () => {
      const id = await publish(ORG.seilforening);
      return () => feeds.ids.filter((i) => i === id).length === 10;
    });
    // The message and the unread count.
    expect(statements).toHaveLength(2);
    expect(feeds.errors).toEqual([]);
  });
});

describe('access answers are kept until an event changes them', () => {
  it('a firm reading one client inbox: its revoked grant ends the feed before the next message', async () => {
    await gql(
      fixture,
      `mutation { grantInboxAccess(owner: "${ORG.snekker}", grantee: "${ORG.oslo}", scope: { kind: ALL_DPV }) { id } }`,
      {},
      owner(ORG.snekker),
    );
    const feed = await subscribeMany(reader(ORG.oslo), 'messagePublished', 1, {
      recipient: ORG.snekker,
    });
    await sleep(300);
    const first = await send(fixture, { recipient: ORG.snekker });
    await until(() => feed.ids.includes(first.id));
    // Answers are cached now: a second message costs no access statement.
    const cached = await statementsDuring(async () => {
      const id = await publish(ORG.snekker);
      return () => feed.ids.includes(id);
    });
    expect(cached.filter((s) => /inbox_grant/.test(s))).toEqual([]);

    await gql(
      fixture,
      `mutation { revokeInboxAccess(owner: "${ORG.snekker}", grantee: "${ORG.oslo}") { id } }`,
      {},
      owner(ORG.snekker),
    );
    // Published at once after the revocation committed: the feed must not deliver it.
    const after = await publish(ORG.snekker);
    await until(() => feed.errors.length > 0);
    expect(JSON.stringify(feed.errors)).toContain('FORBIDDEN');
    await sleep(200);
    expect(feed.ids).not.toContain(after);
  });

  it("a firm's REGN role that ends in Enhetsregisteret stops that inbox before the next message", async () => {
    // The bakery granted its REGN (regnskap) access in the demo data.
    const firm = await subscribeMany(reader(ORG.regnskap), 'clientMessagePublished', 1);
    await sleep(300);
    const before = await publish(ORG.bakeri);
    await until(() => firm.ids.includes(before));
    try {
      await fixture.db.query(
        `update enhetsregisteret.rolle set fratraadt = true
         where organisasjonsnummer = $1 and enhet_organisasjonsnummer = $2 and type_kode = 'REGN'`,
        [ORG.bakeri, ORG.regnskap],
      );
      const ended = await publish(ORG.bakeri);
      // Access is what holds when the event is delivered: give it time before the role returns.
      await sleep(700);
      expect(firm.ids).not.toContain(ended);
      // The role comes back: the next message is delivered again (the answer was dropped again).
      await fixture.db.query(
        `update enhetsregisteret.rolle set fratraadt = false
         where organisasjonsnummer = $1 and enhet_organisasjonsnummer = $2 and type_kode = 'REGN'`,
        [ORG.bakeri, ORG.regnskap],
      );
      const back = await publish(ORG.bakeri);
      await until(() => firm.ids.includes(back));
      expect(firm.ids).not.toContain(ended);
      expect(firm.errors).toEqual([]);
    } finally {
      await fixture.db.query(
        `update enhetsregisteret.rolle set fratraadt = false
         where organisasjonsnummer = $1 and enhet_organisasjonsnummer = $2 and type_kode = 'REGN'`,
        [ORG.bakeri, ORG.regnskap],
      );
    }
  });

  it('the role change feed is written in the transaction of the change, and only then', async () => {
    const head = async () =>
      Number(
        (
          await fixture.db.query<{ p: string }>(
            'select coalesce(max(position), 0) as p from enhetsregisteret.rolle_endring_v1',
          )
        )[0]!.p,
      );
    const start = await head();
    await fixture.db.query(
      `begin;
       update enhetsregisteret.rolle set rekkefolge = rekkefolge where organisasjonsnummer = '${ORG.snekker}';
       rollback;`,
    );
    expect(await head()).toBe(start);
    await fixture.db.query(
      `update enhetsregisteret.rolle set rekkefolge = rekkefolge where organisasjonsnummer = $1`,
      [ORG.snekker],
    );
    const rows = await fixture.db.query<{ enheter: string[] }>(
      'select enheter from enhetsregisteret.rolle_endring_v1 where position > $1',
      [start],
    );
    expect(rows).toEqual([{ enheter: [ORG.snekker] }]);
  });
});
