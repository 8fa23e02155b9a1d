import { describe, expect, it } from 'vitest';
import { codes, type GraphQLResponse } from '../../harness/graphql.js';
import {
  gql,
  inbox,
  messageInput,
  ORG,
  owner,
  reader,
  send,
  sender,
  useMeldingsboks,
} from './helpers.js';

const fixture = useMeldingsboks();

/** How many messages and grants are stored, to show that a refusal stores nothing. */
const stored = async () =>
  fixture.db.query(
    `select (select count(*) from meldingsboks.message)::int as messages,
            (select count(*) from meldingsboks.inbox_grant)::int as grants`,
  );

/**
 * Refused with BAD_USER_INPUT naming the input and its limit, nothing stored. (Statements are not
 * counted here: the publisher and the outbox follower run beside the request.)
 */
async function expectRefused(
  request: () => Promise<GraphQLResponse<any>>,
  extensions: Record<string, unknown>,
): Promise<GraphQLResponse<any>> {
  const before = await stored();
  const r = await request();
  expect(codes(r)).toEqual(['BAD_USER_INPUT']);
  expect(r.errors?.[0]?.extensions).toMatchObject(extensions);
  expect(await stored()).toEqual(before);
  return r;
}

const times = (n: number, item: (i: number) => unknown) =>
  Array.from({ length: n }, (_, i) => item(i));

describe('inbox filter caps', () => {
  // Items as GraphQL literals: enum values bare, organisation numbers quoted.
  const STATUSES = ['PUBLISHED', 'READ', 'REPLIED', 'CONFIRMED', 'ARCHIVED', 'FETCHED', 'FAILED'];
  const SERVICES = ['SKATTER_AVGIFTER', 'ADMINISTRASJON', 'TAUSHETSBELAGT', 'NATUR_MILJO'];
  const page = (filter: string) =>
    inbox(fixture, ORG.bakeri, reader(ORG.bakeri), `filter: ${filter}`);

  it.each([
    ['statuses', 14, (i: number) => STATUSES[i % STATUSES.length]!],
    ['services', 11, (i: number) => SERVICES[i % SERVICES.length]!],
    ['senders', 100, (i: number) => `"${974_000_000 + i}"`],
  ] as const)('%s: %i answer, one more nulls the inbox alone', async (field, max, item) => {
    const filter = (n: number) => `{ ${field}: [${times(n, item).join(', ')}] }`;
    const ok = await page(filter(max));
    expect(ok.errors).toBeUndefined();
    expect(ok.data._entities[0].inbox).not.toBeNull();
    const over = await expectRefused(() => page(filter(max + 1)), {
      field: `filter.${field}`,
      max,
    });
    expect(over.data?._entities[0]).toEqual({ inbox: null });
  });

  it('titleContains: 255 characters answer, 256 are refused', async () => {
    const ok = await page(`{ titleContains: "${'t'.repeat(255)}" }`);
    expect(ok.errors).toBeUndefined();
    expect(ok.data._entities[0].inbox.totalCount).toBe(0);
    await expectRefused(() => page(`{ titleContains: "${'t'.repeat(256)}" }`), {
      field: 'filter.titleContains',
      max: 255,
    });
  });
});

describe('sendMessage caps', () => {
  const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id } }`;
  const trySend = (overrides: Record<string, unknown>) =>
    gql(fixture, SEND, { input: messageInput(overrides) }, sender());
  const attachment = (i: number) => ({
    name: `vedlegg-${i}.pdf`,
    contentType: 'application/pdf',
    size: 1000,
    sha256: 'a'.repeat(64),
  });
  const reference = (i: number) => ({ referenceType: 'GENERIC', referenceValue: `sak-${i}` });
  const property = (i: number) => ({ key: `k${i}`, value: 'v' });
  const reply = (i: number) => ({ linkUrl: `https://svar.example/${i}`, linkText: 'Svar' });

  it.each([
    ['attachments', 100, attachment],
    ['externalReferences', 10, reference],
    ['propertyList', 10, property],
    ['replyOptions', 10, reply],
  ] as const)('%s: %i are sent, one more is refused', async (field, max, item) => {
    await send(fixture, { [field]: times(max, item) });
    await expectRefused(() => trySend({ [field]: times(max + 1, item) }), { field, max });
  });

  it.each([
    ['title', 255, (n: number) => 't'.repeat(n)],
    ['body', 30_000, (n: number) => 'b'.repeat(n)],
  ] as const)('%s: %i characters are sent, one more is refused', async (field, max, text) => {
    await send(fixture, { [field]: text(max) });
    await expectRefused(() => trySend({ [field]: text(max + 1) }), { field, max });
  });

  it('an attachment contentType: 255 characters are sent, 256 are refused', async () => {
    const type = (n: number) => `application/${'x'.repeat(n - 'application/'.length)}`;
    await send(fixture, { attachments: [{ ...attachment(0), contentType: type(255) }] });
    await expectRefused(
      () => trySend({ attachments: [{ ...attachment(0), contentType: type(256) }] }),
      { field: 'attachments.contentType', max: 255 },
    );
  });

  it('messagesByReference: 10 000 references answer, 10 001 are refused', async () => {
    const q = `query ($refs: [String!]!) { messagesByReference(sendersReferences: $refs) { id } }`;
    const refs = times(10_000, (i) => `r${i}`);
    expect((await gql(fixture, q, { refs }, sender())).errors).toBeUndefined();
    await expectRefused(() => gql(fixture, q, { refs: [...refs, 'one more'] }, sender()), {
      argument: 'sendersReferences',
      max: 10_000,
    });
  });
});

describe('grantInboxAccess caps', () => {
  const ORDINARY = [
    'PLAN_BYGG_GEODATA',
    'HELSE_SOSIAL_OMSORG',
    'OPPVEKST_UTDANNING',
    'KULTUR_IDRETT_FRITID',
    'TRAFIKK_REISER_SAMFERDSEL',
    'NATUR_MILJO',
    'NAERINGSUTVIKLING',
    'SKATTER_AVGIFTER',
    'TEKNISKE_TJENESTER',
    'ADMINISTRASJON',
  ];
  const grant = (services: string[]) =>
    gql(
      fixture,
      `mutation { grantInboxAccess(owner: "${ORG.bakeri}", grantee: "${ORG.seilforening}",
         scope: { kind: SERVICES, services: [${services.join(', ')}] }) { services } }`,
      {},
      owner(ORG.bakeri),
    );

  it('scope.services: the 10 ordinary services are granted, 11 entries are refused', async () => {
    const ok = await grant(ORDINARY);
    expect(ok.errors).toBeUndefined();
    expect(ok.data.grantInboxAccess.services).toHaveLength(10);
    await expectRefused(() => grant([...ORDINARY, 'ADMINISTRASJON']), {
      field: 'scope.services',
      max: 10,
    });
  });
});
