import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { codes, post } from '../harness/graphql.js';
import { startTestGraph, type TestGraph } from '../harness/graph.js';

/**
 * Who may send on behalf of whom (issue 16 §3), agreement kinds and the free quota, and
 * meldingsboks' smaller rules (§5: body length, Reserved, title guideline warnings), through the
 * gateway.
 */
let db: TestDatabase;
let graph: TestGraph;

const BAKERI = '310012343'; // FJELLTOPP BAKERI AS
const SEILFORENING = '310049360'; // not a sender
const SKATTEETATEN = '974761076';
const BRREG = '974760673';
const OSLO = '958935420';

beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url);
});
afterAll(async () => {
  await graph?.close();
  await db?.drop();
});

const gql = async (query: string, variables: Record<string, unknown>, claims?: object) =>
  post(graph.gateway.url, query, variables, claims ? await graph.as(claims) : {});
const sender = (org: string) => ({ org, scope: 'dpv:send' });
const ADMIN = { sub: 'dpv-admin', scope: 'dpv:admin' };

const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) {
  id status title sender { organisasjonsnummer navn } technicalSender { organisasjonsnummer }
  guidelineWarnings { code message } } }`;
let refs = 0;
const input = (overrides: Record<string, unknown> = {}) => ({
  recipient: BAKERI,
  service: 'SKATTER_AVGIFTER',
  sendersReference: `senders-${++refs}`,
  title: 'FJELLTOPP BAKERI AS (310012343): melding om skatter og avgifter',
  body: 'Se vedtaket i innboksen.',
  ...overrides,
});
const send = (overrides: Record<string, unknown>, as = sender(SKATTEETATEN)) =>
  gql(SEND, { input: input(overrides) }, as);

const AUTHORISE = `mutation ($t: String!, $p: String) { authoriseSender(technicalSender: $t, principal: $p) {
  principalOrgnr technicalOrgnr grantedBy revokedAt principal { navn } } }`;
const REVOKE = `mutation ($t: String!, $p: String) { revokeSenderAuthorisation(technicalSender: $t, principal: $p) {
  revokedAt revokedBy } }`;

describe('sending on behalf of another body', () => {
  it('Skatteetaten cannot send as OSLO KOMMUNE until Oslo authorises it; nothing is stored', async () => {
    const r = await send({ onBehalfOf: OSLO });
    expect(codes(r)).toEqual(['FORBIDDEN']);
    expect(r.errors?.[0]?.extensions).toMatchObject({
      reason: 'not-authorised',
      onBehalfOf: OSLO,
      sender: SKATTEETATEN,
      serviceName: 'meldingsboks',
    });
    const stored = await db.query(
      `select count(*)::int as n from meldingsboks.message where sender_orgnr = $1 and technical_sender_orgnr = $2`,
      [OSLO, SKATTEETATEN],
    );
    expect(stored).toEqual([{ n: 0 }]);
  });

  it('the body authorises the technical sender itself; the recipient then sees the body as sender', async () => {
    const granted = await gql(AUTHORISE, { t: SKATTEETATEN }, sender(OSLO));
    expect(granted.errors).toBeUndefined();
    expect(granted.data?.authoriseSender).toMatchObject({
      principalOrgnr: OSLO,
      technicalOrgnr: SKATTEETATEN,
      revokedAt: null,
      principal: { navn: 'OSLO KOMMUNE' },
    });
    const r = await send({ onBehalfOf: OSLO });
    expect(r.errors).toBeUndefined();
    expect(r.data?.sendMessage).toMatchObject({
      status: 'PUBLISHED',
      sender: { organisasjonsnummer: OSLO, navn: 'OSLO KOMMUNE' },
      technicalSender: { organisasjonsnummer: SKATTEETATEN },
    });
    // The same grant again is the one in force, not a second row.
    await gql(AUTHORISE, { t: SKATTEETATEN }, sender(OSLO));
    const rows = await db.query(
      `select count(*)::int as n from meldingsboks.sender_authorisation where principal_orgnr = $1`,
      [OSLO],
    );
    expect(rows).toEqual([{ n: 1 }]);
  });

  it('the authorisation covers only that pair: another technical sender is still refused', async () => {
    expect(codes(await send({ onBehalfOf: OSLO }, sender(BRREG)))).toEqual(['FORBIDDEN']);
  });

  it('revoking stops it at once; grant and revocation stay in the audit trail', async () => {
    const revoked = await gql(REVOKE, { t: SKATTEETATEN }, { ...sender(OSLO), sub: 'oslo-user' });
    expect(revoked.errors).toBeUndefined();
    expect(revoked.data?.revokeSenderAuthorisation.revokedAt).not.toBeNull();
    expect(codes(await send({ onBehalfOf: OSLO }))).toEqual(['FORBIDDEN']);
    expect(codes(await gql(REVOKE, { t: SKATTEETATEN }, sender(OSLO)))).toEqual(['NOT_FOUND']);
    const history = await gql(
      `{ senderAuthorisations(includeRevoked: true) { technicalOrgnr grantedBy revokedBy revokedAt } }`,
      {},
      sender(OSLO),
    );
    expect(history.errors).toBeUndefined();
    expect(history.data?.senderAuthorisations).toHaveLength(1);
    expect(history.data?.senderAuthorisations[0]).toMatchObject({
      technicalOrgnr: SKATTEETATEN,
      grantedBy: expect.any(String),
      revokedBy: expect.stringContaining('oslo-user'),
      revokedAt: expect.any(String),
    });
    const inForce = await gql(`{ senderAuthorisations { id } }`, {}, sender(OSLO));
    expect(inForce.data?.senderAuthorisations).toEqual([]);
  });

  it('an admin manages authorisations for any body; a sender cannot grant for another body', async () => {
    const forged = await gql(AUTHORISE, { t: SKATTEETATEN, p: BRREG }, sender(SKATTEETATEN));
    expect(codes(forged)).toEqual(['FORBIDDEN']);
    const byAdmin = await gql(AUTHORISE, { t: SKATTEETATEN, p: BRREG }, ADMIN);
    expect(byAdmin.errors).toBeUndefined();
    expect(byAdmin.data?.authoriseSender.grantedBy).toContain('dpv-admin');
    expect((await send({ onBehalfOf: BRREG })).errors).toBeUndefined();
    const all = await gql(`{ senderAuthorisations { principalOrgnr technicalOrgnr } }`, {}, ADMIN);
    expect(all.data?.senderAuthorisations).toContainEqual({
      principalOrgnr: BRREG,
      technicalOrgnr: SKATTEETATEN,
    });
  });

  it('both must be approved senders', async () => {
    const r = await gql(AUTHORISE, { t: SEILFORENING }, sender(OSLO));
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors?.[0]?.extensions).toMatchObject({ argument: 'technicalSender' });
    const notApproved = await gql(AUTHORISE, { t: SKATTEETATEN }, sender(SEILFORENING));
    expect(codes(notApproved)).toEqual(['BAD_USER_INPUT']);
    expect(notApproved.errors?.[0]?.extensions).toMatchObject({ argument: 'principal' });
  });

  it('authorisations are private: anonymous and other bodies get null with FORBIDDEN', async () => {
    const q = `query ($p: String) { enhet(organisasjonsnummer: "${OSLO}") { navn } senderAuthorisations(principal: $p) { id } }`;
    for (const claims of [undefined, sender(SKATTEETATEN), { org: OSLO, scope: 'dpv:read' }]) {
      const r = await gql(q, { p: OSLO }, claims);
      expect(r.data).toEqual({ enhet: { navn: 'OSLO KOMMUNE' }, senderAuthorisations: null });
      expect(codes(r)).toEqual(['FORBIDDEN']);
    }
    const mutation = await gql(AUTHORISE, { t: SKATTEETATEN }, { org: OSLO, scope: 'dpv:read' });
    expect(codes(mutation)).toEqual(['FORBIDDEN']);
    for (const claims of [undefined, { org: OSLO, scope: 'dpv:read' }, sender(SKATTEETATEN)]) {
      const revoke = await gql(REVOKE, { t: SKATTEETATEN, p: BRREG }, claims);
      expect(codes(revoke)).toEqual(['FORBIDDEN']);
    }
  });
});

describe('agreement kinds and the free quota', () => {
  const USAGE = `query ($y: Int!, $s: String) { senderUsage(year: $y, sender: $s) {
    sender messages beyondFreeQuota agreement needsSamarbeidsavtale } }`;
  const LIST = `query ($y: Int!) { sendersNeedingSamarbeidsavtale(year: $y) { sender messages agreement } }`;
  const year = Number(
    new Intl.DateTimeFormat('en', { year: 'numeric', timeZone: 'Europe/Oslo' }).format(new Date()),
  );

  beforeAll(async () => {
    // 10 001 messages from Brønnøysundregistrene this year: past the free quota.
    await db.query(
      `insert into meldingsboks.message (recipient_orgnr, sender_orgnr, technical_sender_orgnr,
         service_code, title, senders_reference, confidential, language, body, publish_at, status,
         status_changed_at)
       select $1, $2, $2, '4255/10', 'quota', 'quota-' || i, false, 'nb', 'x', now(), 'Read', now()
       from generate_series(1, 10001) i`,
      [BAKERI, BRREG],
    );
  });

  it('each approved sender has an agreement kind; DPV terms unless the admin says otherwise', async () => {
    const r = await gql(`{ approvedSenders { organisasjonsnummer agreement } }`, {}, ADMIN);
    expect(r.data?.approvedSenders).toContainEqual({
      organisasjonsnummer: OSLO,
      agreement: 'DPV_TERMS',
    });
  });

  it('flags a body past 10 000 messages without a Samarbeidsavtale, and admins list it', async () => {
    const own = await gql(USAGE, { y: year }, sender(BRREG));
    expect(own.data?.senderUsage).toMatchObject({
      sender: BRREG,
      agreement: 'DPV_TERMS',
      needsSamarbeidsavtale: true,
    });
    expect(own.data?.senderUsage.messages).toBeGreaterThan(10_000);
    const under = await gql(USAGE, { y: year }, sender(SKATTEETATEN));
    expect(under.data?.senderUsage.needsSamarbeidsavtale).toBe(false);
    const list = await gql(LIST, { y: year }, ADMIN);
    expect(list.errors).toBeUndefined();
    expect(
      list.data?.sendersNeedingSamarbeidsavtale.map((u: { sender: string }) => u.sender),
    ).toEqual([BRREG]);
    expect((await gql(LIST, { y: year - 1 }, ADMIN)).data?.sendersNeedingSamarbeidsavtale).toEqual(
      [],
    );
  });

  it('with a Samarbeidsavtale the body is no longer flagged', async () => {
    const approve = await gql(
      `mutation { approveSender(organisasjonsnummer: "${BRREG}", name: "BRØNNØYSUNDREGISTRENE", agreement: SAMARBEIDSAVTALE) { agreement } }`,
      {},
      ADMIN,
    );
    expect(approve.data?.approveSender.agreement).toBe('SAMARBEIDSAVTALE');
    const usage = await gql(USAGE, { y: year, s: BRREG }, ADMIN);
    expect(usage.data?.senderUsage).toMatchObject({
      agreement: 'SAMARBEIDSAVTALE',
      needsSamarbeidsavtale: false,
    });
    expect((await gql(LIST, { y: year }, ADMIN)).data?.sendersNeedingSamarbeidsavtale).toEqual([]);
    // Approving again without an agreement keeps the one it has.
    await gql(
      `mutation { approveSender(organisasjonsnummer: "${BRREG}", name: "BRREG") { agreement } }`,
      {},
      ADMIN,
    );
    const after = await gql(USAGE, { y: year, s: BRREG }, ADMIN);
    expect(after.data?.senderUsage.agreement).toBe('SAMARBEIDSAVTALE');
  });

  it('the list is for admins: a sender gets null with FORBIDDEN', async () => {
    const r = await gql(LIST, { y: year }, sender(BRREG));
    expect(r.data).toEqual({ sendersNeedingSamarbeidsavtale: null });
    expect(codes(r)).toEqual(['FORBIDDEN']);
  });
});

describe('title guideline warnings', () => {
  const warnings = (r: Awaited<ReturnType<typeof send>>) =>
    r.data?.sendMessage.guidelineWarnings.map((w: { code: string }) => w.code);

  it('a title that names the enhet and the service gets none', async () => {
    const r = await send({});
    expect(r.errors).toBeUndefined();
    expect(r.data?.sendMessage.guidelineWarnings).toEqual([]);
    const byName = await send({ title: 'Skattemelding 2026 for Fjelltopp Bakeri er klar' });
    expect(warnings(byName)).toEqual([]);
  });

  it('a title naming neither the enhet nor the service is warned about, and still sent', async () => {
    const r = await send({ title: 'Vedtak' });
    expect(r.errors).toBeUndefined();
    expect(r.data?.sendMessage.status).toBe('PUBLISHED');
    expect(warnings(r)).toEqual(['TITLE_NAMES_NO_ENHET', 'TITLE_NAMES_NO_SERVICE']);
    const inbox = await gql(
      `{ enhet(organisasjonsnummer: "${BAKERI}") { inbox(first: 50) { nodes { id } } } }`,
      {},
      { org: BAKERI, scope: 'dpv:read' },
    );
    expect(inbox.data?.enhet.inbox.nodes).toContainEqual({ id: r.data?.sendMessage.id });
  });

  it('what looks like a fødselsnummer or a bank account is warned about', async () => {
    const title = 'FJELLTOPP BAKERI AS: skatt';
    const fnr = await send({ title: `${title} for 010170 10170` });
    expect(warnings(fnr)).toEqual(['TITLE_HOLDS_FODSELSNUMMER']);
    const account = await send({ title: `${title}, innbetal til 1234.56.78903` });
    expect(warnings(account)).toEqual(['TITLE_HOLDS_ACCOUNT_NUMBER']);
    // Eleven digits that are neither (wrong check digits) are not.
    expect(warnings(await send({ title: `${title}, sak 12345678901` }))).toEqual([]);
  });

  it('the warnings are for the sender: the recipient gets null with FORBIDDEN, the message intact', async () => {
    const id = (await send({ title: 'Vedtak' })).data?.sendMessage.id;
    const q = `query ($id: ID!) { message(id: $id) { title guidelineWarnings { code } } }`;
    const recipient = await gql(q, { id }, { org: BAKERI, scope: 'dpv:read' });
    expect(recipient.data?.message).toEqual({ title: 'Vedtak', guidelineWarnings: null });
    expect(codes(recipient)).toEqual(['FORBIDDEN']);
    expect(recipient.errors?.[0]?.path).toEqual(['message', 'guidelineWarnings']);
    const own = await gql(
      `query ($r: [String!]!) { messagesByReference(sendersReferences: $r) { guidelineWarnings { code } } }`,
      { r: [`senders-${refs}`] },
      sender(SKATTEETATEN),
    );
    expect(own.data?.messagesByReference[0].guidelineWarnings).toHaveLength(2);
  });
});

describe("Altinn 3's limits and statuses", () => {
  it('a body of 30 000 characters is sent; one more is BAD_USER_INPUT with the cap', async () => {
    expect((await send({ body: 'b'.repeat(30_000) })).errors).toBeUndefined();
    const over = await send({ body: 'b'.repeat(30_001) });
    expect(codes(over)).toEqual(['BAD_USER_INPUT']);
    expect(over.errors?.[0]?.extensions).toMatchObject({ field: 'body', max: 30_000 });
  });

  it('the status Reserved exists', async () => {
    const r = await gql(`{ __type(name: "MessageStatus") { enumValues { name } } }`, {});
    expect(r.data?.__type.enumValues.map((v: { name: string }) => v.name)).toContain('RESERVED');
  });
});
