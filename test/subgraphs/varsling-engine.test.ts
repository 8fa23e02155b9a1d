import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definition as varsling } from '../../subgraphs/varsling/index.js';
import type { RunningSubgraph } from '../../platform/subgraph.js';
import { asCaller } from '../harness/auth.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { post } from '../harness/graphql.js';
import { startTestGraph, startTestSubgraph, type TestGraph } from '../harness/graph.js';

let db: TestDatabase;
let graph: TestGraph;
let second: RunningSubgraph;
const url = (name: string) => graph.subgraphs.get(name)!.url;
const ADMIN = { sub: 'admin', scope: 'varsling:admin' };
const SKATTEETATEN = '974761076';
const OSLO = '958935420';

beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url);
  // A second varsling instance on the same database: events must still be handled once.
  second = await startTestSubgraph(varsling, db.url, {
    peers: { enhetsregisteret: url('enhetsregisteret') },
    settings: { outboxPollMs: 500, dispatchIntervalMs: 200 },
  });
});
afterAll(async () => {
  await second?.close();
  await graph?.close();
  await db?.drop();
});

async function send(recipient: string, service: string, sender = SKATTEETATEN) {
  const r = await post(
    url('meldingsboks'),
    `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id serviceCode sender { organisasjonsnummer } } }`,
    {
      input: {
        recipient,
        service,
        sendersReference: randomUUID(),
        title: `${recipient}: melding`,
        body: 'Se innboksen.',
      },
    },
    await asCaller({ org: sender, scope: 'dpv:send' }),
  );
  expect(r.errors).toBeUndefined();
  return r.data.sendMessage as {
    id: string;
    serviceCode: string;
    sender: { organisasjonsnummer: string };
  };
}

async function notifications(
  message: { id: string; serviceCode: string; sender: { organisasjonsnummer: string } },
  claims: Record<string, string>,
) {
  const r = await post(
    url('varsling'),
    `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Message { notifications {
       kind channel address status orderStatus reason plannedAt deferrals { reason } } } } }`,
    { r: [{ __typename: 'Message', ...message }] },
    await asCaller(claims),
  );
  expect(r.errors).toBeUndefined();
  return r.data._entities[0].notifications as Array<Record<string, any>>;
}

const orders = (messageId: string) =>
  db.query(
    `select kind, status, status_reason from varsling.notification_order where message_id = $1 order by kind`,
    [messageId],
  );

const until = (check: () => Promise<boolean>) =>
  expect.poll(check, { timeout: 8000, interval: 100 }).toBe(true);

describe('the notification engine (meldingsboks events → notices)', () => {
  it('plans a notice and a reminder per policy, one channel only, once across two instances', async () => {
    const m = await send('310012343', 'SKATTER_AVGIFTER'); // policy: SMS preferred
    await until(async () => (await orders(m.id)).length === 2);
    const own = await notifications(m, { org: '310012343', scope: 'dpv:read' });
    expect(own.map((n) => [n.kind, n.channel, n.address])).toEqual([
      ['NOTICE', 'SMS', '+4791234567'],
      ['REMINDER', 'SMS', '+4791234567'],
    ]);
    // The reminder is about seven days later, at an allowed moment.
    const gap = Date.parse(own[1]!.plannedAt) - Date.parse(own[0]!.plannedAt);
    expect(gap).toBeGreaterThanOrEqual(6 * 86_400_000);
    // Others see the address masked; callers without a post scope see nothing.
    const firm = await notifications(m, { org: '310024686', scope: 'dpv:read' });
    expect(firm[0]!.address).toBe('+47*****567');
    const anonymous = await post(
      url('varsling'),
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Message { notifications { kind } } } }`,
      { r: [{ __typename: 'Message', ...m }] },
    );
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const rows = await db.query(
      `select count(*)::int as n from varsling.notification n join varsling.notification_order o on o.id = n.order_id where o.message_id = $1`,
      [m.id],
    );
    expect(rows).toEqual([{ n: 2 }]);
  });

  it('cancels the reminder (SendConditionNotMet) when the message is read first', async () => {
    const m = await send('310049360', 'ADMINISTRASJON'); // default policy: e-mail preferred
    await until(async () => (await orders(m.id)).length === 2);
    const read = await post(
      url('meldingsboks'),
      `mutation ($id: ID!) { markMessageAsRead(id: $id) { status } }`,
      { id: m.id },
      await asCaller({ org: '310049360', scope: 'dpv:read' }),
    );
    expect(read.errors).toBeUndefined();
    await until(async () =>
      (await orders(m.id)).some((o) => o.kind === 'REMINDER' && o.status === 'SendConditionNotMet'),
    );
    const [notice] = await orders(m.id);
    expect(notice).toMatchObject({ kind: 'NOTICE' });
    expect(notice!.status).not.toBe('SendConditionNotMet');
  });

  it('notifies confidential post even under a policy of NONE', async () => {
    const r = await post(
      url('varsling'),
      `mutation { createPolicy(input: { name: "Taushetsbelagt: ingen", serviceCode: "5504/1", kind: NONE, channel: EMAIL }) { id } }`,
      {},
      await asCaller(ADMIN),
    );
    expect(r.errors).toBeUndefined();
    const m = await send('310012343', 'TAUSHETSBELAGT');
    await until(async () => (await orders(m.id)).length > 0);
    expect((await orders(m.id)).map((o) => o.kind)).toEqual(['NOTICE', 'REMINDER']);
  });

  it('drops service messages beyond the throttle, with the reason recorded', async () => {
    const r = await post(
      url('varsling'),
      `mutation { createPolicy(input: { name: "Kultur: servicemelding", senderOrgnr: "${OSLO}", serviceCode: "4255/4", kind: SERVICEMELDING, channel: SMS, throttlePerDay: 1 }) { id } }`,
      {},
      await asCaller(ADMIN),
    );
    expect(r.errors).toBeUndefined();
    const first = await send('310037028', 'KULTUR_IDRETT_FRITID', OSLO);
    const again = await send('310037028', 'KULTUR_IDRETT_FRITID', OSLO);
    await until(async () => (await orders(again.id)).length === 1);
    expect(await orders(first.id)).toEqual([
      {
        kind: 'SERVICE_MESSAGE',
        status: expect.not.stringMatching('Cancelled'),
        status_reason: null,
      },
    ]);
    expect(await orders(again.id)).toEqual([
      {
        kind: 'SERVICE_MESSAGE',
        status: 'Cancelled',
        status_reason: expect.stringContaining('throttled'),
      },
    ]);
  });

  it("shows an enhet's notification summary to the enhet only", async () => {
    const query = `{ _entities(representations: [{ __typename: "Enhet", organisasjonsnummer: "310012343" }]) {
      ... on Enhet { notificationSummary { notices reminders pending sent failed } } } }`;
    const own = await post(
      url('varsling'),
      query,
      {},
      await asCaller({ org: '310012343', scope: 'dpv:read' }),
    );
    expect(own.errors).toBeUndefined();
    expect(own.data._entities[0].notificationSummary.notices).toBeGreaterThan(0);
    for (const claims of [
      { org: '310024686', scope: 'dpv:read' },
      { org: '310012343', scope: 'dpv:send' },
      ADMIN,
    ]) {
      const r = await post(url('varsling'), query, {}, await asCaller(claims));
      expect(r.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const anonymous = await post(url('varsling'), query, {});
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('simulates a policy change over the real messages of a period', async () => {
    // The bakery has both an e-mail address and a mobile number; the default policy picks e-mail.
    const m = await send('310012343', 'ADMINISTRASJON');
    await until(async () => (await orders(m.id)).length === 2);
    const from = new Date(Date.now() - 3600_000).toISOString();
    const to = new Date(Date.now() + 3600_000).toISOString();
    const r = await post(
      url('varsling'),
      `query ($from: DateTimeISO!, $to: DateTimeISO!) { simulatePolicyChange(policyId: "0b7c5e2a-3f4d-4e5f-9a6b-000000000001", from: $from, to: $to,
         change: { name: "Standard: SMS", kind: VARSEL, channel: SMS_PREFERRED }) {
         messages current { notices reminders sms emails } changed { notices reminders sms emails } } }`,
      { from, to },
      await asCaller(ADMIN),
    );
    expect(r.errors).toBeUndefined();
    const s = r.data.simulatePolicyChange;
    const backwards = await post(
      url('varsling'),
      `query ($from: DateTimeISO!, $to: DateTimeISO!) { simulatePolicyChange(from: $from, to: $to,
         change: { name: "x", kind: VARSEL, channel: SMS }) { messages } }`,
      { from: to, to: from },
      await asCaller(ADMIN),
    );
    expect(backwards.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(s.messages).toBeGreaterThan(0);
    // The default (e-mail preferred) becomes SMS preferred: the bakery's notice and reminder
    // move from e-mail to SMS; nothing else changes.
    expect(s.changed.sms - s.current.sms).toBeGreaterThanOrEqual(2);
    expect(s.current.emails - s.changed.emails).toBe(s.changed.sms - s.current.sms);
    expect(s.changed.notices).toBe(s.current.notices);
  });
});
