import { createClient, type Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { definition as meldingsboks } from '../../../subgraphs/meldingsboks/index.js';
import { asCaller } from '../../harness/auth.js';
import { startTestSubgraph } from '../../harness/graph.js';
import type { RunningSubgraph } from '../../../platform/subgraph.js';
import { gql, ORG, owner, reader, send, useMeldingsboks, type Claims } from './helpers.js';

const fixture = useMeldingsboks();
/** A second instance of the subgraph on the same database, as in a scaled deployment. */
let second: RunningSubgraph;
const clients: Client[] = [];

beforeAll(async () => {
  second = await startTestSubgraph(meldingsboks, fixture.db.url, {
    peers: { enhetsregisteret: fixture.peers.get('enhetsregisteret')!.url },
  });
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.dispose();
});
afterAll(() => second?.close());

interface Event {
  cursor: string;
  message: { id: string; title: string; recipient: { organisasjonsnummer: string } };
}

/**
 * A live subscription through a real graphql-ws client: collects events (and a final error) as
 * they come.
 */
async function subscribe(
  url: string,
  claims: Claims | null,
  field: 'messagePublished' | 'clientMessagePublished',
  args: Record<string, unknown>,
) {
  const client = createClient({
    url: url.replace('http', 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: claims ? await asCaller(claims) : {},
    retryAttempts: 0,
  });
  clients.push(client);
  const events: Event[] = [];
  const state = { errors: [] as unknown[], done: false };
  const argDefs =
    field === 'messagePublished' ? '($recipient: String!, $after: String)' : '($after: String)';
  const argUse =
    field === 'messagePublished' ? '(recipient: $recipient, after: $after)' : '(after: $after)';
  const unsubscribe = client.subscribe<Record<string, Event>>(
    {
      query: `subscription ${argDefs} { ${field}${argUse} { cursor message { id title recipient { organisasjonsnummer } } } }`,
      variables: args,
    },
    {
      next: (r) => {
        if (r.errors) state.errors.push(...r.errors);
        if (r.data?.[field]) events.push(r.data[field]);
      },
      error: (e) => {
        state.errors.push(e);
        state.done = true;
      },
      complete: () => {
        state.done = true;
      },
    },
  );
  // Wait until the server has taken the subscription (it reads the head when it starts).
  await new Promise<void>((resolve) => {
    client.on('connected', () => setTimeout(resolve, 150));
  });
  return { events, state, client, unsubscribe };
}

const until = (check: () => boolean) =>
  expect.poll(check, { timeout: 5000, interval: 25 }).toBe(true);

describe('messagePublished', () => {
  it('delivers new messages of one inbox, and resumes after a disconnect with no gap and no duplicate', async () => {
    const first = await subscribe(fixture.subgraph.url, reader(ORG.bakeri), 'messagePublished', {
      recipient: ORG.bakeri,
    });
    const m1 = await send(fixture);
    await until(() => first.events.length === 1);
    expect(first.events[0]!.message.id).toBe(m1.id);
    const cursor = first.events[0]!.cursor;
    await first.client.dispose();

    const missed = [await send(fixture), await send(fixture), await send(fixture)];
    const resumed = await subscribe(fixture.subgraph.url, reader(ORG.bakeri), 'messagePublished', {
      recipient: ORG.bakeri,
      after: cursor,
    });
    await until(() => resumed.events.length === 3);
    expect(resumed.events.map((e) => e.message.id)).toEqual(missed.map((m) => m.id));
    const live = await send(fixture);
    await until(() => resumed.events.length === 4);
    expect(resumed.events[3]!.message.id).toBe(live.id);
    // Other inboxes' messages never show up.
    await send(fixture, {
      recipient: ORG.seilforening,
      title: 'HAVBRIS SEILFORENING (310049360): melding',
    });
    const marker = await send(fixture);
    await until(() => resumed.events.length === 5);
    expect(resumed.events[4]!.message.id).toBe(marker.id);
    expect(resumed.state.errors).toEqual([]);
  });

  it('two instances, one subscriber each: every event exactly once, wherever it was sent', async () => {
    const onFirst = await subscribe(fixture.subgraph.url, reader(ORG.bakeri), 'messagePublished', {
      recipient: ORG.bakeri,
    });
    const onSecond = await subscribe(second.url, reader(ORG.bakeri), 'messagePublished', {
      recipient: ORG.bakeri,
    });
    const viaSecond = { ...fixture, subgraph: second };
    const sent = await Promise.all(
      Array.from({ length: 10 }, (_, i) => send(i % 2 ? fixture : viaSecond)),
    );
    for (const s of [onFirst, onSecond]) {
      await until(() => s.events.length >= 10);
      expect(new Set(s.events.map((e) => e.message.id))).toEqual(new Set(sent.map((m) => m.id)));
    }
    // Settle, then check nothing arrived twice.
    await new Promise((r) => setTimeout(r, 600));
    expect(onFirst.events).toHaveLength(10);
    expect(onSecond.events).toHaveLength(10);
  });

  it('hides confidential post unless the enhet granted access to it', async () => {
    const sub = await subscribe(fixture.subgraph.url, reader(ORG.bakeri), 'messagePublished', {
      recipient: ORG.bakeri,
    });
    await send(fixture, { service: 'TAUSHETSBELAGT' });
    const ordinary = await send(fixture);
    await until(() => sub.events.length === 1);
    expect(sub.events[0]!.message.id).toBe(ordinary.id);
  });

  it('refuses to subscribe to an inbox the caller cannot read, and anonymous callers', async () => {
    for (const claims of [reader(ORG.seilforening), null, { org: ORG.bakeri, scope: 'dpv:send' }]) {
      const sub = await subscribe(fixture.subgraph.url, claims, 'messagePublished', {
        recipient: ORG.bakeri,
      });
      await until(() => sub.state.errors.length > 0);
      expect(JSON.stringify(sub.state.errors)).toMatch(/FORBIDDEN|dpv:read/);
      expect(sub.events).toEqual([]);
    }
  });
  it('answers variables of the wrong type with BAD_USER_INPUT, as over HTTP', async () => {
    const sub = await subscribe(fixture.subgraph.url, reader(ORG.bakeri), 'messagePublished', {
      recipient: 310012343,
    });
    await until(() => sub.state.errors.length > 0);
    expect(JSON.stringify(sub.state.errors)).toContain('BAD_USER_INPUT');
  });
});

describe('clientMessagePublished (an accounting firm)', () => {
  it('refuses anonymous callers and callers without dpv:read', async () => {
    for (const claims of [null, { org: ORG.regnskap, scope: 'dpv:send' }]) {
      const sub = await subscribe(fixture.subgraph.url, claims, 'clientMessagePublished', {});
      await until(() => sub.state.errors.length > 0);
      expect(JSON.stringify(sub.state.errors)).toMatch(/FORBIDDEN|dpv:read/);
    }
  });

  it("follows every client's inbox that granted it access, stopping when the grant is revoked or the REGN role ends", async () => {
    const firm = await subscribe(
      fixture.subgraph.url,
      reader(ORG.regnskap),
      'clientMessagePublished',
      {},
    );
    // The carpenter grants the firm (its REGN) access too.
    const grant = await gql(
      fixture,
      `mutation { grantInboxAccess(owner: "${ORG.snekker}", grantee: "${ORG.regnskap}", scope: { kind: ALL_DPV }) { viaRole } }`,
      {},
      owner(ORG.snekker),
    );
    expect(grant.data.grantInboxAccess.viaRole).toBe('REGN');
    const toBakeri = await send(fixture);
    await send(fixture, { recipient: ORG.seilforening }); // no grant
    await send(fixture, { service: 'TAUSHETSBELAGT' }); // ordinary post only
    const toSnekker = await send(fixture, { recipient: ORG.snekker });
    await until(() => firm.events.length === 2);
    expect(firm.events.map((e) => e.message.id)).toEqual([toBakeri.id, toSnekker.id]);

    // The carpenter revokes; the bakery's REGN role ends in Enhetsregisteret.
    await gql(
      fixture,
      `mutation { revokeInboxAccess(owner: "${ORG.snekker}", grantee: "${ORG.regnskap}") { id } }`,
      {},
      owner(ORG.snekker),
    );
    await fixture.db.query(
      `update enhetsregisteret.rolle set fratraadt = true
       where organisasjonsnummer = $1 and enhet_organisasjonsnummer = $2 and type_kode = 'REGN'`,
      [ORG.bakeri, ORG.regnskap],
    );
    try {
      await send(fixture, { recipient: ORG.snekker });
      await send(fixture);
      // A message to an inbox still open to the firm proves the feed is alive.
      await gql(
        fixture,
        `mutation { grantInboxAccess(owner: "${ORG.seilforening}", grantee: "${ORG.regnskap}", scope: { kind: SERVICES, services: [SKATTER_AVGIFTER] }) { id } }`,
        {},
        owner(ORG.seilforening),
      );
      const open = await send(fixture, { recipient: ORG.seilforening });
      await until(() => firm.events.length === 3);
      expect(firm.events[2]!.message.id).toBe(open.id);
      expect(firm.state.errors).toEqual([]);
    } finally {
      await fixture.db.query(
        `update enhetsregisteret.rolle set fratraadt = false
         where organisasjonsnummer = $1 and enhet_organisasjonsnummer = $2 and type_kode = 'REGN'`,
        [ORG.bakeri, ORG.regnskap],
      );
    }
  });
});
