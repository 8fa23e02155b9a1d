import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { definition as enhetsregisteret } from '../../../subgraphs/enhetsregisteret/index.js';
import { definition as meldingsboks } from '../../../subgraphs/meldingsboks/index.js';
import { asCaller } from '../../harness/auth.js';
import { post, type GraphQLResponse } from '../../harness/graphql.js';
import { useTestSubgraph, type SubgraphFixture } from '../../harness/graph.js';

/** Demo enheter (Enhetsregisteret's seed): NORDLYS REGNSKAP is REGN for the bakery and the carpenter. */
export const ORG = {
  bakeri: '310012343',
  regnskap: '310024686',
  snekker: '310037028',
  seilforening: '310049360',
  skatteetaten: '974761076',
  brreg: '974760673',
  oslo: '958935420',
} as const;

export interface Claims {
  org?: string;
  /** A person (ID-porten) acting for `org`. */
  pid?: string;
  scope?: string;
  sub?: string;
}

export const reader = (org: string): Claims => ({ org, scope: 'dpv:read' });
export const owner = (org: string): Claims => ({ org, scope: 'dpv:read dpv:grant' });
export const sender = (org: string = ORG.skatteetaten): Claims => ({ org, scope: 'dpv:send' });
/** A person acting for `org` (ID-porten: `pid` beside `org`). */
export const personFor = (pid: string, org: string, scope = 'dpv:read'): Claims => ({
  sub: `idporten-${pid.slice(-3)}`,
  org,
  pid,
  scope,
});
export const admin: Claims = { sub: 'admin', scope: 'dpv:admin' };

/** Meldingsboks on a database of its own, with Enhetsregisteret (which it asks) beside it. */
export function useMeldingsboks(settings: Record<string, unknown> = {}): SubgraphFixture {
  return useTestSubgraph(meldingsboks, { peers: [enhetsregisteret], settings });
}

/** One operation against the subgraph, as the gateway would forward `claims` (anonymous when none). */
export async function gql<D = any>(
  fixture: SubgraphFixture,
  query: string,
  variables: Record<string, unknown> = {},
  claims?: Claims,
): Promise<GraphQLResponse<D>> {
  return post<D>(fixture.subgraph.url, query, variables, claims ? await asCaller(claims) : {});
}

/** A valid message to the bakery; override what the test is about. */
export function messageInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    recipient: ORG.bakeri,
    service: 'SKATTER_AVGIFTER',
    sendersReference: `ref-${randomUUID()}`,
    title: 'FJELLTOPP BAKERI AS (310012343): melding om skatter og avgifter',
    body: 'Se vedtaket i innboksen.',
    ...overrides,
  };
}

export const MESSAGE_FIELDS = `id status service serviceCode title unread readAt confirmedAt
  sendersReference isConfirmationNeeded recipient { organisasjonsnummer }
  sender { organisasjonsnummer } technicalSender { organisasjonsnummer }
  statusHistory { status actor actorOrg }`;

/** Sends a message and returns it; fails the test on any error. */
export async function send(
  fixture: SubgraphFixture,
  overrides: Record<string, unknown> = {},
  claims: Claims = sender(),
): Promise<any> {
  const r = await gql(
    fixture,
    `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { ${MESSAGE_FIELDS} } }`,
    { input: messageInput(overrides) },
    claims,
  );
  expect(r.errors).toBeUndefined();
  return r.data.sendMessage;
}

/** Runs a recipient mutation (markMessageAsRead, confirmMessage, …) on a message. */
export function act(fixture: SubgraphFixture, mutation: string, id: string, claims: Claims) {
  return gql(
    fixture,
    `mutation ($id: ID!) { ${mutation}(id: $id) { ${MESSAGE_FIELDS} } }`,
    { id },
    claims,
  );
}

/** The titles of an inbox's first page as `claims` sees it (errors returned as they are). */
export async function inbox(
  fixture: SubgraphFixture,
  orgnr: string,
  claims: Claims | undefined,
  args = 'first: 50',
) {
  return gql(
    fixture,
    `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Enhet {
       inbox(${args}) { totalCount unreadCount nodes { id title serviceCode status unread } pageInfo { hasNextPage endCursor } }
     } } }`,
    { r: [{ __typename: 'Enhet', organisasjonsnummer: orgnr }] },
    claims,
  );
}
