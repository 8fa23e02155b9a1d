import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDigit } from '../../subgraphs/domain/orgnr.js';
import { definition as meldingsboks } from '../../subgraphs/meldingsboks/index.js';
import type { RunningSubgraph } from '../../platform/subgraph.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { codes, post } from '../harness/graphql.js';
import { startTestGraph, startTestSubgraph, type TestGraph } from '../harness/graph.js';

/**
 * Targeted mass sending (issue 16 §4) through the gateway: sendMessages resolves its recipients
 * in Enhetsregisteret, works them off as a throttled job that survives a restart, and gives each
 * recipient a message (and notices) of its own.
 */
let db: TestDatabase;
let graph: TestGraph;

const SKATTEETATEN = '974761076';
const OSLO = '958935420';
const BAKERI = '310012343';
const SEILFORENING = '310049360';
// Kommuner the demo register does not use, so the test knows every enhet in them.
const KOMMUNE = '9998';
const OTHER_KOMMUNE = '9997';
const THROTTLE = { massSendingIntervalMs: 200, massSendingBatch: 3 };

/** Valid organisasjonsnumre from 311000000 on. */
function numbers(n: number, from = 0): string[] {
  const out: string[] = [];
  for (let i = from; out.length < n; i++) {
    const first8 = String(31_100_000 + i);
    const d = checkDigit(first8);
    if (d !== null) out.push(first8 + d);
  }
  return out;
}
const IN_KOMMUNE = numbers(30);
const ELSEWHERE = numbers(5, 1000);

/** Meldingsboks again on the port the gateway knows, throttled so a test can watch it work. */
async function restartMeldingsboks(settings: Record<string, unknown> = THROTTLE) {
  const old = graph.subgraphs.get('meldingsboks')!;
  await old.close();
  const next: RunningSubgraph = await startTestSubgraph(meldingsboks, db.url, {
    port: Number(new URL(old.url).port),
    peers: { enhetsregisteret: graph.subgraphs.get('enhetsregisteret')!.url },
    settings,
  });
  graph.subgraphs.set('meldingsboks', next);
}

beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url);
  const rows = [
    ...IN_KOMMUNE.map((o, i) => [o, `MASSE ${i} AS`, KOMMUNE]),
    ...ELSEWHERE.map((o, i) => [o, `ANNET ${i} AS`, OTHER_KOMMUNE]),
  ];
  for (const [orgnr, navn, kommune] of rows) {
    await db.query(
      `insert into enhetsregisteret.enhet (organisasjonsnummer, navn, organisasjonsform_kode,
         forretningsadresse) values ($1, $2, 'AS', jsonb_build_object('kommunenummer', $3::text))`,
      [orgnr, navn, kommune],
    );
  }
  const [demo] = await db.query<{ n: number }>(
    `select count(*)::int as n from enhetsregisteret.enhet where kommunenummer in ($1, $2)`,
    [KOMMUNE, OTHER_KOMMUNE],
  );
  expect(demo!.n).toBe(IN_KOMMUNE.length + ELSEWHERE.length);
  await restartMeldingsboks();
}, 60_000);
afterAll(async () => {
  await graph?.close();
  await db?.drop();
});

const gql = async (query: string, variables: Record<string, unknown>, claims?: object) =>
  post(graph.gateway.url, query, variables, claims ? await graph.as(claims) : {});
const SKATT = { org: SKATTEETATEN, scope: 'dpv:send' };

const FIELDS = `id status total sent failed pending sendersReference classification
  sender { organisasjonsnummer } failures { organisasjonsnummer code message }`;
const SEND_MANY = `mutation ($input: SendMessagesInput!) { sendMessages(input: $input) { ${FIELDS} } }`;
const PROGRESS = `query ($id: ID!) { massSending(id: $id) { ${FIELDS} } }`;

const input = (reference: string, overrides: Record<string, unknown> = {}) => ({
  filter: { kommunenummer: KOMMUNE },
  classification: 'VARSLINGSPLIKT',
  service: 'SKATTER_AVGIFTER',
  sendersReference: reference,
  title: 'Melding om skatter og avgifter',
  body: 'Se vedtaket i innboksen.',
  ...overrides,
});

async function sendMany(reference: string, overrides: Record<string, unknown> = {}) {
  const r = await gql(SEND_MANY, { input: input(reference, overrides) }, SKATT);
  expect(r.errors).toBeUndefined();
  return r.data!.sendMessages;
}

async function progress(id: string) {
  const r = await gql(PROGRESS, { id }, SKATT);
  expect(r.errors).toBeUndefined();
  return r.data!.massSending;
}

/** Polls the sending through the gateway until `done` holds of it. */
async function until(id: string, done: (s: any) => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await progress(id);
    if (done(s)) return s;
    if (Date.now() > deadline) throw new Error(`mass sending ${id} still ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const messagesOf = (reference: string) =>
  db.query<{ recipient_orgnr: string; n: number; first: Date; last: Date }>(
    `select recipient_orgnr, count(*)::int as n, min(created_at) as first, max(created_at) as last
     from meldingsboks.message where technical_sender_orgnr = $1 and senders_reference like $2
     group by recipient_orgnr order by recipient_orgnr`,
    [SKATTEETATEN, `${reference}/%`],
  );

describe('sendMessages to a filter', () => {
  it('resolves the enheter in Enhetsregisteret and gives each its own message and notices, throttled', async () => {
    const started = await sendMany('kommune-1');
    expect(started).toMatchObject({
      status: 'RESOLVING',
      sendersReference: 'kommune-1',
      classification: 'VARSLINGSPLIKT',
      sender: { organisasjonsnummer: SKATTEETATEN },
    });
    const done = await until(started.id, (s) => s.status === 'COMPLETED');
    expect(done).toMatchObject({ total: 30, sent: 30, failed: 0, pending: 0, failures: [] });
    const sent = await messagesOf('kommune-1');
    expect(sent.map((m) => m.recipient_orgnr)).toEqual(IN_KOMMUNE);
    expect(sent.every((m) => m.n === 1)).toBe(true);
    // At most 3 messages per 200 ms step: 30 messages span at least 9 steps.
    const first = Math.min(...sent.map((m) => m.first.getTime()));
    const last = Math.max(...sent.map((m) => m.last.getTime()));
    expect(last - first).toBeGreaterThanOrEqual(9 * 200 * 0.9);

    const refs = IN_KOMMUNE.map((o) => `kommune-1/${o}`);
    const mine = await gql(
      `query ($r: [String!]!) { messagesByReference(sendersReferences: $r) {
         recipient { organisasjonsnummer navn } status notifications { kind } } }`,
      { r: refs },
      SKATT,
    );
    expect(mine.errors).toBeUndefined();
    const messages = mine.data!.messagesByReference;
    expect(messages.map((m: any) => m.recipient.organisasjonsnummer)).toEqual(IN_KOMMUNE);
    expect(messages[0].recipient.navn).toBe('MASSE 0 AS');
    expect(messages.every((m: any) => m.status === 'PUBLISHED')).toBe(true);
    // Varsling plans each message's own notice and reminder from the outbox.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const orders = await db.query<{ n: number }>(
        `select count(distinct o.message_id)::int as n from varsling.notification_order o
         join meldingsboks.message m on m.id = o.message_id
         where m.senders_reference like 'kommune-1/%' and o.kind = 'REMINDER'`,
      );
      if (orders[0]!.n === 30 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const again = await gql(
      `query ($r: [String!]!) { messagesByReference(sendersReferences: $r) { notifications { kind } } }`,
      { r: refs },
      SKATT,
    );
    for (const m of again.data!.messagesByReference) {
      expect(m.notifications.map((n: { kind: string }) => n.kind).sort()).toEqual([
        'NOTICE',
        'REMINDER',
      ]);
    }
  }, 60_000);

  it('is idempotent: the same reference returns the first sending and sends nothing more', async () => {
    const first = await sendMany('kommune-1');
    expect(first.status).toBe('COMPLETED');
    const rows = await db.query(
      `select count(*)::int as n from meldingsboks.mass_sending where senders_reference = 'kommune-1'`,
    );
    expect(rows).toEqual([{ n: 1 }]);
    expect((await messagesOf('kommune-1')).length).toBe(30);
  });
});

describe('a servicemelding must be limited', () => {
  it.each([
    ['no filter at all', {}],
    ['flags only', { konkurs: false, registrertIMvaregisteret: true }],
  ])('%s: SELECTION_TOO_WIDE, nothing stored', async (_what, filter) => {
    const r = await gql(
      SEND_MANY,
      { input: input('wide-service', { filter, classification: 'SERVICEMELDING' }) },
      SKATT,
    );
    expect(codes(r)).toEqual(['SELECTION_TOO_WIDE']);
    expect(r.errors?.[0]?.message).toContain('kommune');
    const rows = await db.query(
      `select count(*)::int as n from meldingsboks.mass_sending where senders_reference = 'wide-service'`,
    );
    expect(rows).toEqual([{ n: 0 }]);
  });

  it.each([
    ['kommune', { kommunenummer: OTHER_KOMMUNE }],
    ['næringskode', { naeringskode: '62' }],
    ['organisasjonsform', { organisasjonsform: ['ASA'] }],
    ['size', { fraAntallAnsatte: 500 }],
  ])('limited by %s: accepted', async (what, filter) => {
    const s = await sendMany(`service-${what}`, { filter, classification: 'SERVICEMELDING' });
    expect(['RESOLVING', 'SENDING', 'COMPLETED']).toContain(s.status);
  });

  afterAll(async () => {
    // These would share the throttle with the sendings the next tests watch: stop them.
    await db.query(
      `update meldingsboks.mass_sending set status = 'FAILED', error = 'stopped by the test'
       where senders_reference like 'service-%'`,
    );
  });
});

describe('sendMessages to a list', () => {
  it('repeats count once; an unknown or deleted enhet is a failure, the rest are sent', async () => {
    await db.query(
      `update enhetsregisteret.enhet set slettedato = '2026-01-01' where organisasjonsnummer = $1`,
      [ELSEWHERE[4]],
    );
    const unknown = numbers(1, 5000)[0]!;
    const s = await sendMany('list-1', {
      filter: null,
      recipients: [BAKERI, BAKERI, ELSEWHERE[0], unknown, ELSEWHERE[4]],
      classification: 'SERVICEMELDING',
    });
    const done = await until(s.id, (x) => x.status === 'COMPLETED');
    expect(done).toMatchObject({ total: 4, sent: 2, failed: 2, pending: 0 });
    expect(done.failures.map((f: any) => [f.organisasjonsnummer, f.code])).toEqual(
      [
        [unknown, 'RECIPIENT_NOT_FOUND'],
        [ELSEWHERE[4], 'RECIPIENT_NOT_FOUND'],
      ].sort(),
    );
    expect((await messagesOf('list-1')).map((m) => m.recipient_orgnr)).toEqual(
      [BAKERI, ELSEWHERE[0]].sort(),
    );
  });

  it('bad input is BAD_USER_INPUT or INVALID_ORGNR before anything is stored', async () => {
    const both = await gql(SEND_MANY, { input: input('bad', { recipients: [BAKERI] }) }, SKATT);
    expect(codes(both)).toEqual(['BAD_USER_INPUT']);
    const neither = await gql(SEND_MANY, { input: input('bad', { filter: null }) }, SKATT);
    expect(codes(neither)).toEqual(['BAD_USER_INPUT']);
    const badNumber = await gql(
      SEND_MANY,
      { input: input('bad', { filter: null, recipients: ['123'] }) },
      SKATT,
    );
    expect(codes(badNumber)).toEqual(['INVALID_ORGNR']);
    const many = await gql(
      SEND_MANY,
      { input: input('bad', { filter: null, recipients: Array(10_001).fill(BAKERI) }) },
      SKATT,
    );
    expect(codes(many)).toEqual(['BAD_USER_INPUT']);
    expect(many.errors?.[0]?.extensions).toMatchObject({ field: 'recipients', max: 10_000 });
    const badFilter = await gql(
      SEND_MANY,
      { input: input('bad', { filter: { kommunenummer: '50011' } }) },
      SKATT,
    );
    expect(codes(badFilter)).toEqual(['BAD_USER_INPUT']);
    const rows = await db.query(
      `select count(*)::int as n from meldingsboks.mass_sending where senders_reference = 'bad'`,
    );
    expect(rows).toEqual([{ n: 0 }]);
  });
});

describe('who may mass-send and see a sending', () => {
  it('onBehalfOf needs the authorisation, as sendMessage does', async () => {
    const r = await gql(SEND_MANY, { input: input('oslo-1', { onBehalfOf: OSLO }) }, SKATT);
    expect(codes(r)).toEqual(['FORBIDDEN']);
    expect(r.errors?.[0]?.extensions).toMatchObject({ reason: 'not-authorised' });
    const notApproved = await gql(
      SEND_MANY,
      { input: input('x') },
      { org: SEILFORENING, scope: 'dpv:send' },
    );
    expect(codes(notApproved)).toEqual(['FORBIDDEN']);
    for (const claims of [undefined, { org: SKATTEETATEN, scope: 'dpv:read' }]) {
      expect(codes(await gql(SEND_MANY, { input: input('y') }, claims))).toEqual(['FORBIDDEN']);
    }
    const rows = await db.query(
      `select count(*)::int as n from meldingsboks.mass_sending where senders_reference in ('x', 'y', 'oslo-1')`,
    );
    expect(rows).toEqual([{ n: 0 }]);
  });

  it('massSending is private: other senders get null, the recipient and anonymous FORBIDDEN', async () => {
    const [row] = await db.query<{ id: string }>(
      `select id from meldingsboks.mass_sending where senders_reference = 'list-1'`,
    );
    const q = `query ($id: ID!) { enhet(organisasjonsnummer: "${BAKERI}") { navn } massSending(id: $id) { id } }`;
    const other = await gql(q, { id: row!.id }, { org: OSLO, scope: 'dpv:send' });
    expect(other.errors).toBeUndefined();
    expect(other.data?.massSending).toBeNull();
    for (const claims of [undefined, { org: BAKERI, scope: 'dpv:read' }]) {
      const r = await gql(q, { id: row!.id }, claims);
      expect(r.data).toEqual({ enhet: { navn: 'FJELLTOPP BAKERI AS' }, massSending: null });
      expect(codes(r)).toEqual(['FORBIDDEN']);
    }
    const admin = await gql(q, { id: row!.id }, { scope: 'dpv:admin' });
    expect(admin.data?.massSending).toEqual({ id: row!.id });
  });
});

describe('a restart', () => {
  it('stops the job with meldingsboks and resumes it after, each recipient once', async () => {
    const s = await sendMany('restart-1');
    await until(s.id, (x) => x.sent >= 3);
    await graph.subgraphs.get('meldingsboks')!.close();
    const [held] = await db.query<{ sent: number; lease_owner: string | null }>(
      `select sent, lease_owner from meldingsboks.mass_sending where id = $1`,
      [s.id],
    );
    // A clean stop lets go of the lease; nothing goes out while meldingsboks is down.
    expect(held!.lease_owner).toBeNull();
    expect(held!.sent).toBeLessThan(30);
    await new Promise((r) => setTimeout(r, 500));
    expect((await messagesOf('restart-1')).length).toBe(held!.sent);
    // As if a crashed instance still held it: the restarted one waits for the lease to end.
    const [lease] = await db.query<{ until: Date }>(
      `update meldingsboks.mass_sending set lease_owner = 'crashed',
         lease_until = now() + interval '1500 milliseconds' where id = $1 returning lease_until as until`,
      [s.id],
    );
    const old = graph.subgraphs.get('meldingsboks')!;
    const next = await startTestSubgraph(meldingsboks, db.url, {
      port: Number(new URL(old.url).port),
      peers: { enhetsregisteret: graph.subgraphs.get('enhetsregisteret')!.url },
      settings: THROTTLE,
    });
    graph.subgraphs.set('meldingsboks', next);
    const done = await until(s.id, (x) => x.status === 'COMPLETED');
    expect(done).toMatchObject({ total: 30, sent: 30, failed: 0 });
    const sent = await messagesOf('restart-1');
    expect(sent.map((m) => m.recipient_orgnr)).toEqual(IN_KOMMUNE);
    expect(sent.every((m) => m.n === 1)).toBe(true);
    const resumed = sent.filter((m) => m.first.getTime() > lease!.until.getTime() - 1500);
    expect(resumed.every((m) => m.first.getTime() >= lease!.until.getTime())).toBe(true);
    expect(resumed.length).toBe(30 - held!.sent);
  }, 60_000);
});

describe('a varsel', () => {
  it('may go wide: every enhet in the register that is not deleted', async () => {
    const s = await sendMany('wide-varsel', { filter: { konkurs: false } });
    // Resolving is a page of 100 a step; sending all ~2 000 would take minutes at this throttle.
    const resolved = await until(s.id, (x) => x.status !== 'RESOLVING', 60_000);
    const [active] = await db.query<{ n: number }>(
      `select count(*)::int as n from enhetsregisteret.enhet
       where slettedato is null and coalesce(konkurs, false) = false`,
    );
    expect(resolved.status).toBe('SENDING');
    expect(resolved.total).toBe(active!.n);
    expect(resolved.total).toBeGreaterThan(1000);
  }, 70_000);
});
