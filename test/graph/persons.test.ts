import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing, type Tracing } from '../../platform/runtime/tracing.js';
import { DEMO_PERSONS } from '../../subgraphs/enhetsregisteret/seed.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { codes, post } from '../harness/graphql.js';
import { startTestGraph, type TestGraph } from '../harness/graph.js';
import { LogCapture } from '../harness/logCapture.js';

/**
 * Persons who act for an enhet (ID-porten tokens with `pid`), through the whole graph: who may
 * read by role or delegation, their own contact details, and the notices they get. The demo
 * bakery's roles: Ola is daglig leder (DAGL), Per a board member (MEDL), Eva a resigned daglig
 * leder; Nina holds no role.
 */
let db: TestDatabase;
let graph: TestGraph;
const logs = new LogCapture('debug');

const BAKERI = '310012343';
const SEILFORENING = '310049360';
const SKATTEETATEN = '974761076';
const { ola, per, eva, nina } = DEMO_PERSONS;

/** Every trace export (OTLP/HTTP JSON), as sent. */
const exported: string[] = [];
const collector = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString('utf8')));
  req.on('end', () => {
    exported.push(body);
    res.setHeader('content-type', 'application/json');
    res.end('{}');
  });
});
let tracing: Tracing | null;

beforeAll(async () => {
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  const { port } = collector.address() as AddressInfo;
  tracing = startTracing('dpv-graph-persons', `http://127.0.0.1:${port}`);
  db = await createTestDatabase();
  graph = await startTestGraph(db.url, { log: logs.log });
});
afterAll(async () => {
  await graph?.close();
  await tracing?.shutdown();
  await db?.drop();
  await new Promise((r) => collector.close(r));
});

const person = (pid: string, scope = 'dpv:read', org = BAKERI) =>
  graph.as({ sub: `idporten-${pid.slice(-3)}`, org, pid, scope });
const org = (orgnr: string, scope: string) => graph.as({ org: orgnr, scope });

const gql = async (
  query: string,
  variables: Record<string, unknown>,
  auth: Record<string, string>,
) => post(graph.gateway.url, query, variables, auth);

const INBOX = `query ($n: String!) { enhet(organisasjonsnummer: $n) { navn inbox(first: 100) { totalCount nodes { id serviceCode } } } }`;
const inboxOf = async (auth: Record<string, string>, orgnr = BAKERI) =>
  gql(INBOX, { n: orgnr }, auth);

async function send(service: string, title = `${BAKERI}: melding`) {
  const r = await gql(
    `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id serviceCode } }`,
    {
      input: {
        recipient: BAKERI,
        service,
        sendersReference: randomUUID(),
        title,
        body: 'Se innboksen.',
      },
    },
    await org(SKATTEETATEN, 'dpv:send'),
  );
  expect(r.errors).toBeUndefined();
  return r.data.sendMessage as { id: string; serviceCode: string };
}

const GRANT = `mutation ($owner: String!, $person: String!, $scope: InboxGrantScope!) {
  grantPersonAccess(owner: $owner, person: $person, scope: $scope) { kind services grantedBy revokedAt } }`;
const REVOKE = `mutation ($owner: String!, $person: String!) {
  revokePersonAccess(owner: $owner, person: $person) { kind revokedAt revokedBy } }`;

/** Polls `check` until it holds (10 s at most); usable in hooks too. */
async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the graph');
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Waits until the engine has planned the message, then its notifications by kind. */
async function notices(messageId: string) {
  await until(
    async () =>
      (
        await db.query('select 1 from varsling.notification_order where message_id = $1', [
          messageId,
        ])
      ).length > 0,
  );
  return db.query(
    `select o.kind, o.status, n.channel, n.address from varsling.notification_order o
     left join varsling.notification n on n.order_id = o.id
     where o.message_id = $1 order by o.kind, n.channel, n.address`,
    [messageId],
  );
}

let ordinaryCount: number;

describe('a person reads by a current role that carries Post/arkiv', () => {
  it('the daglig leder reads the ordinary post the enhet itself reads', async () => {
    const own = await inboxOf(await org(BAKERI, 'dpv:read'));
    ordinaryCount = own.data.enhet.inbox.totalCount;
    expect(ordinaryCount).toBeGreaterThan(0);
    const r = await inboxOf(await person(ola));
    expect(r.errors).toBeUndefined();
    expect(r.data.enhet.inbox.totalCount).toBe(ordinaryCount);
  });

  it.each([
    ['a board member (MEDL: no right by role)', per],
    ['a daglig leder who has resigned (fratrådt)', eva],
    ['a person with no role', nina],
  ])('%s is refused; the public fields still arrive', async (_who, pid) => {
    const r = await inboxOf(await person(pid));
    expect(r.data.enhet).toEqual({ navn: 'FJELLTOPP BAKERI AS', inbox: null });
    expect(codes(r)).toEqual(['FORBIDDEN']);
  });

  it('reads only the enhet the token acts for, and never as the organisation itself', async () => {
    const other = await inboxOf(await person(ola, 'dpv:read', SEILFORENING), SEILFORENING);
    expect(codes(other)).toEqual(['FORBIDDEN']);
    // The bakery's own inbox asked with a token acting for another enhet: nothing.
    const crossed = await inboxOf(await person(ola, 'dpv:read', SEILFORENING));
    expect(codes(crossed)).toEqual(['FORBIDDEN']);
    // Organisation-only fields refuse a person, whatever the token's org claim says.
    const r = await gql(
      `query ($n: String!) { enhet(organisasjonsnummer: $n) { varslingsadresser { adresse } notificationSummary { notices } } }`,
      { n: BAKERI },
      await person(ola, 'dpv:read dpv:grant'),
    );
    expect(r.data.enhet).toEqual({ varslingsadresser: null, notificationSummary: null });
    expect(codes(r).sort()).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    const grant = await gql(
      `mutation { grantInboxAccess(owner: "${BAKERI}", grantee: "${SEILFORENING}", scope: { kind: ALL_DPV }) { id } }`,
      {},
      await person(ola, 'dpv:grant'),
    );
    expect(codes(grant)).toEqual(['FORBIDDEN']);
  });

  it('a token whose pid is not a person identifier is refused at the gateway', async () => {
    const r = await gql(
      INBOX,
      { n: BAKERI },
      await graph.as({ org: BAKERI, pid: '123', scope: 'dpv:read' }),
    );
    expect(codes(r)).toEqual(['UNAUTHENTICATED']);
    expect(r.errors?.[0]?.extensions?.reason).toBe('claim:pid');
  });
});

describe('delegation of Post/arkiv to a person', () => {
  let skatt: { id: string; serviceCode: string };
  let confidential: { id: string; serviceCode: string };

  beforeAll(async () => {
    skatt = await send('SKATTER_AVGIFTER');
    confidential = await send('TAUSHETSBELAGT');
    await until(async () => {
      const r = await inboxOf(await org(BAKERI, 'dpv:read'));
      return r.data.enhet.inbox.totalCount === ordinaryCount + 1;
    });
    ordinaryCount += 1;
  });

  it('a board member cannot delegate; the daglig leder can, to some services', async () => {
    const refused = await gql(
      GRANT,
      { owner: BAKERI, person: nina, scope: { kind: 'ALL_DPV' } },
      await person(per, 'dpv:grant'),
    );
    expect(codes(refused)).toEqual(['FORBIDDEN']);
    const noScope = await gql(
      GRANT,
      { owner: BAKERI, person: nina, scope: { kind: 'ALL_DPV' } },
      await person(ola),
    );
    expect(codes(noScope)).toEqual(['FORBIDDEN']);
    const r = await gql(
      GRANT,
      { owner: BAKERI, person: nina, scope: { kind: 'SERVICES', services: ['SKATTER_AVGIFTER'] } },
      await person(ola, 'dpv:grant'),
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.grantPersonAccess).toMatchObject({
      kind: 'SERVICES',
      services: ['SKATTER_AVGIFTER'],
      revokedAt: null,
    });
    // The audit names the delegator by token subject, never by identity number.
    expect(r.data.grantPersonAccess.grantedBy).toBe(`idporten-${ola.slice(-3)}`);
    const inbox = await inboxOf(await person(nina));
    expect(inbox.errors).toBeUndefined();
    const services = inbox.data.enhet.inbox.nodes.map(
      (m: { serviceCode: string }) => m.serviceCode,
    );
    expect(services).toContain('4255/8');
    expect(new Set(services)).toEqual(new Set(['4255/8']));
    // Per message, too: the delegated person reads the tax message by id, not the confidential one.
    const byId = await gql(
      `query ($a: ID!, $b: ID!) { a: message(id: $a) { id } b: message(id: $b) { id } }`,
      { a: skatt.id, b: confidential.id },
      await person(nina),
    );
    expect(byId.data).toEqual({ a: { id: skatt.id }, b: null });
  });

  it('confidential post only by its own right, not by role', async () => {
    const before = await inboxOf(await person(ola));
    const ids = before.data.enhet.inbox.nodes.map((m: { id: string }) => m.id);
    expect(ids).not.toContain(confidential.id);
    const r = await gql(
      GRANT,
      { owner: BAKERI, person: ola, scope: { kind: 'CONFIDENTIAL' } },
      await org(BAKERI, 'dpv:grant'),
    );
    expect(r.errors).toBeUndefined();
    const after = await inboxOf(await person(ola));
    expect(after.data.enhet.inbox.nodes.map((m: { id: string }) => m.id)).toContain(
      confidential.id,
    );
    // Every confidential message of the enhet (the demo data holds one more) joins the ordinary post.
    const confidentialNow = after.data.enhet.inbox.nodes.filter(
      (m: { serviceCode: string }) => m.serviceCode === '5504/1',
    ).length;
    expect(confidentialNow).toBeGreaterThanOrEqual(1);
    expect(after.data.enhet.inbox.totalCount).toBe(ordinaryCount + confidentialNow);
  });

  it('a withdrawn right stops reading at once; bad identifiers are refused without echo', async () => {
    const r = await gql(REVOKE, { owner: BAKERI, person: nina }, await org(BAKERI, 'dpv:grant'));
    expect(r.errors).toBeUndefined();
    expect(r.data.revokePersonAccess).toHaveLength(1);
    expect(r.data.revokePersonAccess[0].revokedAt).not.toBeNull();
    expect(codes(await inboxOf(await person(nina)))).toEqual(['FORBIDDEN']);
    const bad = await gql(
      REVOKE,
      { owner: BAKERI, person: '1234567890x' },
      await org(BAKERI, 'dpv:grant'),
    );
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    expect(JSON.stringify(bad.errors)).not.toContain('1234567890x');
  });
});

describe("a role holder's person identifier is never readable through the graph", () => {
  it('roles show birth date and name only, to anyone, the person included', async () => {
    for (const auth of [{}, await person(ola), await org(BAKERI, 'dpv:read')]) {
      const r = await gql(
        `query ($n: String!) { enhet(organisasjonsnummer: $n) { roller(inkluderFratraadte: true) { roller { type { kode } person { fodselsdato navn { fornavn } } } } } }`,
        { n: BAKERI },
        auth,
      );
      expect(r.errors).toBeUndefined();
      expect(JSON.stringify(r.data)).toContain('Ola');
      for (const pid of [ola, per, eva]) expect(JSON.stringify(r.data)).not.toContain(pid);
    }
  });

  it('the internal look-ups refuse outside callers, even a token claiming the internal scopes', async () => {
    const auth = await graph.as({
      org: BAKERI,
      scope: 'internal:personroller:read internal:personaccess:read dpv:read',
    });
    const r = await gql(
      `query ($p: [String!]!) { personroller(enhet: "${BAKERI}", personer: $p) { person rolletype } }`,
      { p: [ola] },
      auth,
    );
    expect(r.data).toEqual({ personroller: null });
    expect(codes(r)).toEqual(['FORBIDDEN']);
    const a = await gql(
      `query ($p: [String!]!) { personAccess(enhet: "${BAKERI}", personer: $p) { person } }`,
      { p: [ola] },
      await person(ola),
    );
    expect(codes(a)).toEqual(['FORBIDDEN']);
  });
});

const SET = `mutation ($enhet: String!, $email: String, $mobile: String, $services: [String!]) {
  setMyContactDetails(enhet: $enhet, email: $email, mobile: $mobile, services: $services) { email mobile services } }`;
const MINE = `query { enhet(organisasjonsnummer: "${BAKERI}") { navn myContactDetails { email mobile services } } }`;
const ALL = `query { enhet(organisasjonsnummer: "${BAKERI}") { navn personContactDetails { email mobile services } } }`;

describe("din kontaktinformasjon: a person's own contact details", () => {
  it('only a person with a role or right registers them; input is checked', async () => {
    for (const pid of [per, eva, nina]) {
      const r = await gql(SET, { enhet: BAKERI, email: 'x@example.no' }, await person(pid));
      expect(codes(r)).toEqual(['FORBIDDEN']);
    }
    const asOrg = await gql(
      SET,
      { enhet: BAKERI, email: 'x@example.no' },
      await org(BAKERI, 'dpv:read'),
    );
    expect(codes(asOrg)).toEqual(['FORBIDDEN']);
    const badMail = await gql(SET, { enhet: BAKERI, email: 'not-an-address' }, await person(ola));
    expect(codes(badMail)).toEqual(['BAD_USER_INPUT']);
    const badService = await gql(
      SET,
      { enhet: BAKERI, email: 'ola@bakeri.example', services: ['9999/1'] },
      await person(ola),
    );
    expect(codes(badService)).toEqual(['BAD_USER_INPUT']);
    const r = await gql(SET, { enhet: BAKERI, email: 'ola@bakeri.example' }, await person(ola));
    expect(r.errors).toBeUndefined();
    expect(r.data.setMyContactDetails).toEqual({
      email: 'ola@bakeri.example',
      mobile: null,
      services: [],
    });
  });

  it("are visible to that person and the enhet's administrators only", async () => {
    const mine = await gql(MINE, {}, await person(ola));
    expect(mine.data.enhet.myContactDetails).toEqual({
      email: 'ola@bakeri.example',
      mobile: null,
      services: [],
    });
    // Another person of the enhet sees only their own (none).
    expect((await gql(MINE, {}, await person(per))).data.enhet.myContactDetails).toBeNull();
    for (const auth of [await org(BAKERI, 'dpv:grant'), await person(ola, 'dpv:grant')]) {
      const r = await gql(ALL, {}, auth);
      expect(r.errors).toBeUndefined();
      expect(r.data.enhet.personContactDetails).toEqual([
        { email: 'ola@bakeri.example', mobile: null, services: [] },
      ]);
    }
    for (const auth of [
      {},
      await org(BAKERI, 'dpv:read'),
      await org(SEILFORENING, 'dpv:grant'),
      await person(per, 'dpv:grant'),
      await person(ola, 'dpv:grant', SEILFORENING),
    ]) {
      const r = await gql(ALL, {}, auth);
      expect(r.data.enhet).toEqual({ navn: 'FJELLTOPP BAKERI AS', personContactDetails: null });
      expect(codes(r)).toEqual(['FORBIDDEN']);
    }
    const asOrg = await gql(MINE, {}, await org(BAKERI, 'dpv:read'));
    expect(asOrg.data.enhet.myContactDetails).toBeNull();
    expect(codes(asOrg)).toEqual(['FORBIDDEN']);
  });
});

describe('notices go to the varslingsadresser and to the persons who may read the message', () => {
  beforeAll(async () => {
    // Nina reads tax post by delegation and wants SMS for it only.
    const g = await gql(
      GRANT,
      { owner: BAKERI, person: nina, scope: { kind: 'SERVICES', services: ['SKATTER_AVGIFTER'] } },
      await org(BAKERI, 'dpv:grant'),
    );
    expect(g.errors).toBeUndefined();
    const s = await gql(
      SET,
      { enhet: BAKERI, mobile: '+4790000001', services: ['4255/8'] },
      await person(nina),
    );
    expect(s.errors).toBeUndefined();
  });

  it('administrasjon (default policy, e-mail preferred): the enhet and Ola; Nina may not read it', async () => {
    const m = await send('ADMINISTRASJON');
    const rows = await notices(m.id);
    expect(rows.filter((n) => n.kind === 'NOTICE').map((n) => n.address)).toEqual([
      'ola@bakeri.example',
      'post@fjelltopp-bakeri.example',
    ]);
  });

  it('tax post (SMS preferred): the enhet by SMS, Ola by e-mail (his only channel), Nina by SMS, one each', async () => {
    const m = await send('SKATTER_AVGIFTER');
    const rows = await notices(m.id);
    const notice = rows.filter((n) => n.kind === 'NOTICE').map((n) => [n.channel, n.address]);
    expect(notice.sort()).toEqual(
      [
        ['EMAIL', 'ola@bakeri.example'],
        ['SMS', '+4790000001'],
        ['SMS', '+4791234567'],
      ].sort(),
    );
    const reminder = rows.filter((n) => n.kind === 'REMINDER').map((n) => n.address);
    expect(reminder.sort()).toEqual(['+4790000001', '+4791234567', 'ola@bakeri.example'].sort());

    // Nina reads it: the reminder is cancelled for everyone.
    const read = await gql(
      `mutation ($id: ID!) { markMessageAsRead(id: $id) { status } }`,
      { id: m.id },
      await person(nina),
    );
    expect(read.errors).toBeUndefined();
    await until(async () => {
      const [o] = await db.query(
        `select status from varsling.notification_order where message_id = $1 and kind = 'REMINDER'`,
        [m.id],
      );
      return o?.status === 'SendConditionNotMet';
    });
  });

  it('a withdrawn right and an ended role stop the notices', async () => {
    const r = await gql(REVOKE, { owner: BAKERI, person: nina }, await org(BAKERI, 'dpv:grant'));
    expect(r.errors).toBeUndefined();
    // Ola's role ends (brreg marks him fratrådt).
    await db.query(
      `update enhetsregisteret.rolle set fratraadt = true where organisasjonsnummer = $1 and person_pid = $2`,
      [BAKERI, ola],
    );
    const m = await send('SKATTER_AVGIFTER');
    const rows = await notices(m.id);
    expect(rows.filter((n) => n.kind === 'NOTICE').map((n) => n.address)).toEqual(['+4791234567']);
    // And he reads no more, role gone (the confidential right, delegated on its own, stays).
    const inbox = await inboxOf(await person(ola));
    const services = inbox.data.enhet.inbox.nodes.map(
      (n: { serviceCode: string }) => n.serviceCode,
    );
    expect(services.length).toBeGreaterThan(0);
    expect(new Set(services)).toEqual(new Set(['5504/1']));
  });
});

describe('a person identifier is never written to logs, traces or metrics', () => {
  it('no log line (debug level), no exported span and no metric carries one', async () => {
    await tracing!.forceFlush();
    const res = await fetch(new URL('/metrics', graph.gateway.url));
    const metrics = await res.text();
    const text = JSON.stringify(logs.lines);
    const traces = exported.join('\n');
    // Everything above ran with person tokens: the outputs are not empty.
    expect(logs.lines.length).toBeGreaterThan(50);
    expect(traces).toContain('dpv.component');
    expect(metrics).toContain('graphql');
    for (const pid of [ola, per, eva, nina]) {
      expect(text).not.toContain(pid);
      expect(traces).not.toContain(pid);
      expect(metrics).not.toContain(pid);
    }
  });
});
