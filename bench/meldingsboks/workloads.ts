import { callerFrom } from '../../platform/auth/caller.js';
import { CALLER_HEADER, type InternalIdentity } from '../../platform/auth/internalIdentity.js';
import { inboxKey } from './load.js';
import { closedLoop, type Figures } from './stats.js';
import { sampleWaits } from './waits.js';

/** Calls the subgraph over HTTP as the gateway would: the caller signed in `dpv-caller`. */
export class SubgraphClient {
  constructor(
    readonly url: string,
    private readonly identity: InternalIdentity,
  ) {}

  token(org: string, scope: string): Promise<string> {
    return this.identity.sign(callerFrom({ sub: 'bench', org, scope }));
  }

  /** The data of `query`; throws on any GraphQL error or non-2xx answer. */
  async post(query: string, variables: Record<string, unknown>, token: string): Promise<unknown> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [CALLER_HEADER]: token },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: unknown; errors?: unknown };
    if (!res.ok || body.errors) throw new Error(JSON.stringify(body.errors ?? res.status));
    return body.data;
  }
}

const inboxQuery = (selection: string) =>
  `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Enhet { ${selection} } } }`;
export const PAGE = inboxQuery('inbox(first: 20) { nodes { id title status } }');
export const UNREAD = inboxQuery('inbox { unreadCount }');
export const TOTAL = inboxQuery('inbox(first: 0) { totalCount }');
export const entity = (org: string) => ({
  r: [{ __typename: 'Enhet', organisasjonsnummer: org }],
});

export interface ReadOptions {
  inboxes: number;
  largestInbox: number;
  requests: number;
  concurrency: number;
}

/**
 * An inbox page and unreadCount, each as its own request acting as the inbox's enhet (dpv:read):
 * for random inboxes (uniform over the keys, so mostly small ones) and for the largest.
 */
export async function measureReads(
  client: SubgraphClient,
  o: ReadOptions,
  report: (f: Figures) => void,
): Promise<void> {
  let seed = 7;
  const random = () => inboxKey((seed = (seed * 1103515245 + 12345) % 2 ** 31) % o.inboxes);
  const largest = () => inboxKey(0);
  const read = async (name: string, query: string, pick: () => string) =>
    report(
      await closedLoop(
        name,
        async () => {
          const org = pick();
          return { org, token: await client.token(org, 'dpv:read') };
        },
        async ({ org, token }) => void (await client.post(query, entity(org), token)),
        { concurrency: o.concurrency, requests: o.requests, warmup: 100 },
      ),
    );
  await read('inbox page, first 20 (random inbox)', PAGE, random);
  await read('unreadCount (random inbox)', UNREAD, random);
  await read(`inbox page (largest: ${o.largestInbox} msgs)`, PAGE, largest);
  await read('unreadCount (largest)', UNREAD, largest);
}

/** Demo enheter registered in Enhetsregisteret's seed. */
export const RECIPIENTS = ['310012343', '310024686', '310037028', '310049360'];
const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id status } }`;

/**
 * sendMessage from an approved sender (SKATTEETATEN, approved by the seed) to the demo enheter,
 * every sendersReference new, `concurrency` at a time for `seconds`. Notes how many sessions
 * waited, on average, on an advisory lock meanwhile (writers take none since the outbox relay).
 */
export async function measureSends(
  client: SubgraphClient,
  databaseUrl: string,
  o: { concurrency: number; seconds: number },
): Promise<Figures> {
  const token = await client.token('974761076', 'dpv:send');
  const run = Date.now().toString(36);
  const send = (i: number) =>
    client.post(
      SEND,
      {
        input: {
          recipient: RECIPIENTS[i % RECIPIENTS.length],
          service: 'SKATTER_AVGIFTER',
          sendersReference: `bench-${run}-${i}`,
          title: `Melding ${i} om skatter og avgifter`,
          body: 'Se vedtaket i innboksen.',
        },
      },
      token,
    );
  const waits = await sampleWaits(databaseUrl);
  const figures = await closedLoop(
    `sendMessage (${o.concurrency} at a time)`,
    (i) => i,
    async (i) => void (await send(i)),
    { concurrency: o.concurrency, durationMs: o.seconds * 1000, warmup: 20 },
  );
  const waited = await waits.stop();
  figures.note = `sessions waiting on: ${waited}`;
  return figures;
}
