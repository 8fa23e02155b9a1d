import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { signDevToken } from '../../platform/auth/devKeys.js';
import { callerFrom } from '../../platform/auth/caller.js';
import { CALLER_HEADER, InternalIdentity } from '../../platform/auth/internalIdentity.js';
import type { Logger } from '../../platform/runtime/logger.js';
import { startSubgraph, type RunningSubgraph } from '../../platform/subgraph.js';
import { definition as enhetsregisteret } from '../../subgraphs/enhetsregisteret/index.js';
import { definition as meldingsboks } from '../../subgraphs/meldingsboks/index.js';
import { definition as varsling } from '../../subgraphs/varsling/index.js';
import { benchDatabase, type BenchServer } from '../meldingsboks/postgres.js';
import type { Workload } from './workload.js';

/** FJELLTOPP BAKERI AS, a demo enhet of Enhetsregisteret's seed. */
export const INBOX_ORG = '310012343';
export const MESSAGES = 50;

/** Approved senders of meldingsboks' seed, each with a service that a demo policy of varsling names. */
const SENDERS = [
  { org: '974761076', service: 'SKATTER_AVGIFTER' }, // SKATTEETATEN: "Skatter og avgifter: SMS"
  { org: '958935420', service: 'NAERINGSUTVIKLING' }, // OSLO KOMMUNE: its own e-mail policy
  { org: '974760673', service: 'ADMINISTRASJON' }, // BRØNNØYSUNDREGISTRENE: the default policy
];

/**
 * The inbox page across the three subgraphs: messages (meldingsboks), each sender's name
 * (Enhetsregisteret) and the notification policy and notices of each message (varsling).
 */
export const INBOX_QUERY = /* GraphQL */ `
  query Inbox($org: String!) {
    enhet(organisasjonsnummer: $org) {
      organisasjonsnummer
      navn
      inbox(first: ${MESSAGES}) {
        totalCount
        nodes {
          id
          title
          status
          serviceCode
          sender {
            organisasjonsnummer
            navn
          }
          notificationPolicy {
            name
            channel
          }
          notifications {
            kind
            channel
            status
          }
        }
      }
    }
  }
`;

interface InboxData {
  enhet?: {
    inbox?: {
      nodes?: Array<{
        sender?: { navn?: string | null } | null;
        notificationPolicy?: { name?: string } | null;
      }>;
    };
  } | null;
}

export interface InboxOptions {
  /** The bench's PostgreSQL server. */
  server: BenchServer;
  dataDir: string;
  /** Shared by our gateway (INTERNAL_AUTH_SECRET) and the subgraphs. */
  secret: string;
  /** The development key pair our gateway verifies client tokens with. */
  devKeyPath: string;
  log: Logger;
}

/**
 * Workload 2, this graph's inbox: the three real subgraphs in this process on a fresh database
 * (demo data loaded), {@link MESSAGES} messages sent to one enhet and published, and notification
 * orders planned by varsling's engine (its dispatch is off, so that the answer stays the same).
 */
export async function startInbox(o: InboxOptions): Promise<Workload> {
  const db = await benchDatabase(o.server.url, 'gateway_inbox', false);
  // Lives as long as a run; subgraphs and the bench's own callers share it.
  const identity = new InternalIdentity(o.secret, 3600);
  const subgraphs: RunningSubgraph[] = [];
  const common = { databaseUrl: db.url, host: '127.0.0.1', port: 0, log: o.log, identity };
  try {
    const register = await startSubgraph(enhetsregisteret, { ...common, seedWhenEmpty: true });
    subgraphs.push(register);
    const boks = await startSubgraph(meldingsboks, {
      ...common,
      seedWhenEmpty: true,
      peers: { enhetsregisteret: register.url },
      settings: { publishIntervalMs: 100, outboxPollMs: 200 },
    });
    subgraphs.push(boks);
    const notices = await startSubgraph(varsling, {
      ...common,
      seedWhenEmpty: true,
      peers: { enhetsregisteret: register.url, meldingsboks: boks.url },
      settings: { dispatch: false, outboxPollMs: 200 },
    });
    subgraphs.push(notices);

    let fetches = 0;
    for (const s of subgraphs) s.httpServer.on('request', () => fetches++);

    const ids = await sendMessages(boks.url, identity);
    await waitForNotices(notices.url, identity, ids);

    const supergraphPath = path.join(o.dataDir, 'inbox.graphql');
    const subgraphUrls = Object.fromEntries(subgraphs.map((s) => [s.name, s.url]));
    await mkdir(o.dataDir, { recursive: true });
    await writeFile(
      supergraphPath,
      withUrls(await readFile('schema/supergraph.graphql', 'utf8'), subgraphUrls),
    );
    const reader = callerFrom({ sub: 'bench', org: INBOX_ORG, scope: 'dpv:read' });
    return {
      name: 'inbox',
      description:
        `one enhet's inbox, first ${MESSAGES}: title, sender's name (Enhetsregisteret), ` +
        'notification policy and notices (varsling); as the enhet with dpv:read',
      supergraphPath,
      subgraphUrls,
      body: JSON.stringify({
        query: INBOX_QUERY,
        operationName: 'Inbox',
        variables: { org: INBOX_ORG },
      }),
      // Ours verifies the client's token and signs the caller itself; the others pass on the
      // caller header the client brings, signed here for the length of a run.
      headers: async (gateway): Promise<Record<string, string>> =>
        gateway === 'ours'
          ? {
              authorization: `Bearer ${await signDevToken(o.devKeyPath, {
                sub: 'bench',
                org: INBOX_ORG,
                scope: 'dpv:read',
                ttl: 3600,
              })}`,
            }
          : { [CALLER_HEADER]: await identity.sign(reader) },
      check: (data) => {
        const nodes = (data as InboxData | null)?.enhet?.inbox?.nodes ?? [];
        if (nodes.length !== MESSAGES) {
          return `expected ${MESSAGES} messages in the inbox, got ${nodes.length}`;
        }
        if (nodes.some((n) => !n.sender?.navn)) return 'a message lacks its sender enhet name';
        if (nodes.some((n) => !n.notificationPolicy?.name)) {
          return 'a message lacks its notification policy';
        }
        return undefined;
      },
      fetches: () => fetches,
      close: async () => {
        for (const s of subgraphs.reverse()) await s.close();
      },
    };
  } catch (err) {
    for (const s of subgraphs.reverse()) await s.close();
    throw err;
  }
}

/** The supergraph with every `@join__graph` URL replaced by where that subgraph listens now. */
function withUrls(supergraph: string, urls: Record<string, string>): string {
  return supergraph.replace(
    /@join__graph\(name: "([^"]+)", url: "[^"]*"\)/g,
    (whole, name: string) =>
      urls[name] ? `@join__graph(name: "${name}", url: "${urls[name]}")` : whole,
  );
}

async function post<T>(url: string, token: string, query: string, variables: object): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [CALLER_HEADER]: token },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (!res.ok || body.errors || !body.data) {
    throw new Error(`${url}: ${res.status} ${JSON.stringify(body.errors ?? body)}`);
  }
  return body.data;
}

const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id } }`;
const PAGE = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Enhet {
  inbox(first: ${MESSAGES}) { nodes { id status } } } } }`;

/** Sends the messages to {@link INBOX_ORG} and waits until meldingsboks has published them all. */
async function sendMessages(url: string, identity: InternalIdentity): Promise<string[]> {
  const run = Date.now().toString(36);
  const ids: string[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const from = SENDERS[i % SENDERS.length]!;
    const token = await identity.sign(
      callerFrom({ sub: 'bench', org: from.org, scope: 'dpv:send' }),
    );
    const data = await post<{ sendMessage: { id: string } }>(url, token, SEND, {
      input: {
        recipient: INBOX_ORG,
        service: from.service,
        sendersReference: `bench-gateway-${run}-${i}`,
        title: `FJELLTOPP BAKERI AS (${INBOX_ORG}): melding ${i + 1}`,
        body: 'Les meldingen i sin helhet i innboksen.',
      },
    });
    ids.push(data.sendMessage.id);
  }
  const reader = await identity.sign(
    callerFrom({ sub: 'bench', org: INBOX_ORG, scope: 'dpv:read' }),
  );
  const wanted = new Set(ids);
  await until('the messages to be published', async () => {
    const data = await post<{ _entities: Array<{ inbox: { nodes: Array<{ id: string }> } }> }>(
      url,
      reader,
      PAGE,
      { r: [{ __typename: 'Enhet', organisasjonsnummer: INBOX_ORG }] },
    );
    return data._entities[0]!.inbox.nodes.filter((n) => wanted.has(n.id)).length === MESSAGES;
  });
  return ids;
}

const NOTICES = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Message {
  notifications { kind } } } }`;

/**
 * Waits until varsling's engine has planned the notices of every message: each has at least one,
 * and the count held still over two looks.
 */
async function waitForNotices(url: string, identity: InternalIdentity, ids: string[]) {
  const reader = await identity.sign(
    callerFrom({ sub: 'bench', org: INBOX_ORG, scope: 'dpv:read' }),
  );
  let last = -1;
  await until('varsling to plan the notices', async () => {
    const data = await post<{ _entities: Array<{ notifications: unknown[] } | null> }>(
      url,
      reader,
      NOTICES,
      { r: ids.map((id) => ({ __typename: 'Message', id })) },
    );
    const counts = data._entities.map((e) => e?.notifications.length ?? 0);
    const total = counts.reduce((a, b) => a + b, 0);
    const settled = counts.every((c) => c > 0) && total === last;
    last = total;
    return settled;
  });
}

async function until(what: string, done: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
