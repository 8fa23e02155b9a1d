import type { GraphQLFormattedError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { codes, post } from '../harness/graphql.js';
import { startTestGraph, type TestGraph } from '../harness/graph.js';

/**
 * An enhet is public; its inbox, grants, clients, varslingsadresser and notification summary are
 * not. A refusal of one of them (FORBIDDEN, or BAD_USER_INPUT for its arguments) must null that
 * field alone, through the real gateway: the register's public data still arrives.
 */
let db: TestDatabase;
let graph: TestGraph;

const BAKERI = '310012343'; // FJELLTOPP BAKERI AS
const REGNSKAP = '310024686'; // NORDLYS REGNSKAP: REGN for the bakery, granted ALL_DPV
const SEILFORENING = '310049360'; // no role, no grant

beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url);
});
afterAll(async () => {
  await graph?.close();
  await db?.drop();
});

const ask = async (
  selection: string,
  claims?: { org: string; scope: string },
  orgnr: string = BAKERI,
) =>
  post(
    graph.gateway.url,
    `query ($n: String!) { enhet(organisasjonsnummer: $n) { navn ${selection} } }`,
    { n: orgnr },
    claims ? await graph.as(claims) : {},
  );

/** The errors as [path, code, serviceName], for comparing without their wording. */
const refusals = (errors: readonly GraphQLFormattedError[] | undefined) =>
  (errors ?? [])
    .map((e) => [e.path?.join('.'), e.extensions?.code, e.extensions?.serviceName])
    .sort();

describe('private fields of a public enhet fail alone', () => {
  it('anonymous asks for navn and the inbox: navn arrives, the inbox is null with FORBIDDEN', async () => {
    const r = await ask('inbox(first: 1) { totalCount }');
    expect(r.status).toBe(200);
    expect(r.data).toEqual({ enhet: { navn: 'FJELLTOPP BAKERI AS', inbox: null } });
    expect(codes(r)).toEqual(['FORBIDDEN']);
    expect(r.errors?.[0]?.path).toEqual(['enhet', 'inbox']);
    expect(r.errors?.[0]?.extensions?.serviceName).toBe('meldingsboks');
  });

  it.each([
    ['the firm that reads its inbox', REGNSKAP],
    ['an organisation with no role or grant', SEILFORENING],
  ])(
    "%s asks for the bakery's notificationSummary: public data arrives, the summary is null",
    async (_who, org) => {
      const r = await ask('organisasjonsform { kode } notificationSummary { notices sent }', {
        org,
        scope: 'dpv:read',
      });
      expect(r.data).toEqual({
        enhet: {
          navn: 'FJELLTOPP BAKERI AS',
          organisasjonsform: { kode: 'AS' },
          notificationSummary: null,
        },
      });
      expect(refusals(r.errors)).toEqual([['enhet.notificationSummary', 'FORBIDDEN', 'varsling']]);
    },
  );

  it('an inbox page over the limit is refused (BAD_USER_INPUT, max 100) and navn stays', async () => {
    const r = await ask('inbox(first: 1000) { totalCount }', { org: BAKERI, scope: 'dpv:read' });
    expect(r.data).toEqual({ enhet: { navn: 'FJELLTOPP BAKERI AS', inbox: null } });
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors?.[0]?.path).toEqual(['enhet', 'inbox']);
    expect(r.errors?.[0]?.extensions).toMatchObject({ argument: 'first', max: 100 });
  });

  it('the owner still gets its inbox and its summary', async () => {
    const r = await ask('inbox(first: 1) { totalCount } notificationSummary { notices }', {
      org: BAKERI,
      scope: 'dpv:read',
    });
    expect(r.errors).toBeUndefined();
    expect(r.data?.enhet.inbox.totalCount).toBe(2);
    expect(r.data?.enhet.notificationSummary).toEqual({ notices: expect.any(Number) });
  });
});

const EVERY_PRIVATE_FIELD = `varslingsadresser { adresse }
  inbox(first: 1) { totalCount }
  inboxGrants { granteeOrgnr }
  clients { enhet { organisasjonsnummer } }
  notificationSummary { notices }`;

describe('who may read each private field of an enhet', () => {
  it('anonymous: every private field null with its own FORBIDDEN, navn intact', async () => {
    const r = await ask(EVERY_PRIVATE_FIELD);
    expect(r.data).toEqual({
      enhet: {
        navn: 'FJELLTOPP BAKERI AS',
        varslingsadresser: null,
        inbox: null,
        inboxGrants: null,
        clients: null,
        notificationSummary: null,
      },
    });
    expect(refusals(r.errors)).toEqual([
      ['enhet.clients', 'FORBIDDEN', 'meldingsboks'],
      ['enhet.inbox', 'FORBIDDEN', 'meldingsboks'],
      ['enhet.inboxGrants', 'FORBIDDEN', 'meldingsboks'],
      ['enhet.notificationSummary', 'FORBIDDEN', 'varsling'],
      ['enhet.varslingsadresser', 'FORBIDDEN', 'enhetsregisteret'],
    ]);
  });

  it('the enhet itself with dpv:read: every one of them, no error', async () => {
    const r = await ask(EVERY_PRIVATE_FIELD, { org: BAKERI, scope: 'dpv:read' });
    expect(r.errors).toBeUndefined();
    const enhet = r.data?.enhet;
    expect(enhet.varslingsadresser).toContainEqual({ adresse: 'post@fjelltopp-bakeri.example' });
    expect(enhet.inbox).toEqual({ totalCount: 2 });
    expect(enhet.inboxGrants).toContainEqual({ granteeOrgnr: REGNSKAP });
    // The bakery is no firm: nobody granted it access to their inbox.
    expect(enhet.clients).toEqual([]);
    expect(enhet.notificationSummary).toEqual({ notices: expect.any(Number) });
  });

  it('the granted firm: the inbox only; grants, clients, addresses and summary are the owner’s', async () => {
    const r = await ask(EVERY_PRIVATE_FIELD, { org: REGNSKAP, scope: 'dpv:read' });
    expect(r.data?.enhet).toMatchObject({
      navn: 'FJELLTOPP BAKERI AS',
      inbox: { totalCount: 2 },
      varslingsadresser: null,
      inboxGrants: null,
      clients: null,
      notificationSummary: null,
    });
    expect(refusals(r.errors)).toEqual([
      ['enhet.clients', 'FORBIDDEN', 'meldingsboks'],
      ['enhet.inboxGrants', 'FORBIDDEN', 'meldingsboks'],
      ['enhet.notificationSummary', 'FORBIDDEN', 'varsling'],
      ['enhet.varslingsadresser', 'FORBIDDEN', 'enhetsregisteret'],
    ]);
  });

  it('the firm reads its own clients; the bakery may not read the firm’s', async () => {
    const own = await ask(
      'clients { enhet { navn } }',
      { org: REGNSKAP, scope: 'dpv:read' },
      REGNSKAP,
    );
    expect(own.errors).toBeUndefined();
    expect(own.data?.enhet.clients).toContainEqual({ enhet: { navn: 'FJELLTOPP BAKERI AS' } });
    const theirs = await ask(
      'clients { enhet { navn } }',
      { org: BAKERI, scope: 'dpv:read' },
      REGNSKAP,
    );
    expect(theirs.data?.enhet).toEqual({ navn: 'NORDLYS REGNSKAP AS', clients: null });
    expect(refusals(theirs.errors)).toEqual([['enhet.clients', 'FORBIDDEN', 'meldingsboks']]);
  });

  it('the enhet itself without dpv:read: its private fields are refused, navn arrives', async () => {
    const r = await ask(EVERY_PRIVATE_FIELD, { org: BAKERI, scope: 'dpv:send' });
    expect(r.data?.enhet.navn).toBe('FJELLTOPP BAKERI AS');
    expect(codes(r)).toEqual(Array(5).fill('FORBIDDEN'));
  });

  it('in a page of enheter, a refused inbox nulls that inbox only, not the page', async () => {
    const r = await post(
      graph.gateway.url,
      '{ enheter(first: 3) { totalCount nodes { organisasjonsnummer navn inbox { totalCount } } } }',
    );
    const nodes = r.data?.enheter.nodes;
    expect(nodes).toHaveLength(3);
    for (const node of nodes) {
      expect(node.navn).toEqual(expect.any(String));
      expect(node.inbox).toBeNull();
    }
    expect(codes(r)).toEqual(Array(3).fill('FORBIDDEN'));
    expect(r.errors?.map((e) => e.path?.at(-1))).toEqual(['inbox', 'inbox', 'inbox']);
  });
});

describe('public fields refused for their arguments fail alone too', () => {
  it.each([
    ['underenheter', '(first: 1000)', { argument: 'first', max: 100 }],
    [
      'rolleinnehaverFor',
      `(type: [${Array(51).fill('"REGN"').join(', ')}])`,
      { argument: 'type', max: 50 },
    ],
  ])('%s over its cap: null with BAD_USER_INPUT, navn intact', async (field, args, extensions) => {
    const selection = `${field}${args} { totalCount }`;
    const r = await ask(selection);
    expect(r.data).toEqual({ enhet: { navn: 'FJELLTOPP BAKERI AS', [field]: null } });
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors?.[0]?.path).toEqual(['enhet', field]);
    expect(r.errors?.[0]?.extensions).toMatchObject(extensions);
  });
});

describe('refused root fields fail alone, beside a public enhet', () => {
  const asked = (roots: string) =>
    `query ($n: String!) { enhet(organisasjonsnummer: $n) { navn } ${roots} }`;

  it('anonymous asks for an enhet and the policies: navn arrives, policies is null with FORBIDDEN', async () => {
    const r = await post(graph.gateway.url, asked('policies { id }'), { n: BAKERI });
    expect(r.status).toBe(200);
    expect(r.data).toEqual({ enhet: { navn: 'FJELLTOPP BAKERI AS' }, policies: null });
    expect(refusals(r.errors)).toEqual([['policies', 'FORBIDDEN', 'varsling']]);
    expect(r.errors?.[0]?.extensions).toMatchObject({ requiredScope: 'varsling:admin' });
  });

  it.each([
    ['approvedSenders', 'FORBIDDEN', 'meldingsboks', 'approvedSenders { organisasjonsnummer }'],
    [
      'messagesByReference',
      'FORBIDDEN',
      'meldingsboks',
      'messagesByReference(sendersReferences: ["a"]) { id }',
    ],
    [
      'senderUsage',
      'FORBIDDEN',
      'meldingsboks',
      `senderUsage(year: 2026, sender: "${BAKERI}") { messages }`,
    ],
    ['policyHistory', 'FORBIDDEN', 'varsling', 'policyHistory(id: "x") { version }'],
    ['enheter', 'BAD_USER_INPUT', 'enhetsregisteret', 'enheter(first: 1000) { totalCount }'],
    [
      'rolleforhold',
      'BAD_USER_INPUT',
      'enhetsregisteret',
      `rolleforhold(innehaver: "${REGNSKAP}", enheter: [], typer: [${Array(51).fill('"REGN"').join(', ')}]) { rolletype }`,
    ],
    [
      'rolleforhold',
      'INVALID_ORGNR',
      'enhetsregisteret',
      'rolleforhold(innehaver: "1", enheter: [], typer: []) { rolletype }',
    ],
  ])(
    'anonymous: %s is null with %s at its path, the enhet intact',
    async (field, code, service, root) => {
      const r = await post(graph.gateway.url, asked(root), { n: BAKERI });
      expect(r.status).toBe(200);
      expect(r.data).toEqual({ enhet: { navn: 'FJELLTOPP BAKERI AS' }, [field]: null });
      expect(refusals(r.errors)).toEqual([[field, code, service]]);
    },
  );

  it('several refused root fields at once: each null with its own error, the enhet intact', async () => {
    const r = await post(
      graph.gateway.url,
      asked('policies { id } approvedSenders { name } enheter(first: 1000) { totalCount }'),
      { n: BAKERI },
    );
    expect(r.data).toEqual({
      enhet: { navn: 'FJELLTOPP BAKERI AS' },
      policies: null,
      approvedSenders: null,
      enheter: null,
    });
    expect(refusals(r.errors)).toEqual([
      ['approvedSenders', 'FORBIDDEN', 'meldingsboks'],
      ['enheter', 'BAD_USER_INPUT', 'enhetsregisteret'],
      ['policies', 'FORBIDDEN', 'varsling'],
    ]);
  });

  it('an admin of notification policies gets them beside the enhet, with no error', async () => {
    const r = await post(
      graph.gateway.url,
      asked('policies { id }'),
      { n: BAKERI },
      await graph.as({ scope: 'varsling:admin' }),
    );
    expect(r.errors).toBeUndefined();
    expect(r.data?.enhet).toEqual({ navn: 'FJELLTOPP BAKERI AS' });
    expect(r.data?.policies.length).toBeGreaterThan(0);
  });
});
