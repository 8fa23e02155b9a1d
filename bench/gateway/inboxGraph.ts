import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { callerFrom } from '../../platform/auth/caller.js';
import { CALLER_HEADER, InternalIdentity } from '../../platform/auth/internalIdentity.js';
import type { Logger } from '../../platform/runtime/logger.js';
import { startSubgraph, type RunningSubgraph } from '../../platform/subgraph.js';
import { definition as enhetsregisteret } from '../../subgraphs/enhetsregisteret/index.js';
import { definition as meldingsboks } from '../../subgraphs/meldingsboks/index.js';
import { definition as varsling } from '../../subgraphs/varsling/index.js';

/** Approved senders of meldingsboks' seed, each with a service that a demo policy of varsling names. */
const SENDERS = [
  { org: '974761076', service: 'SKATTER_AVGIFTER' }, // SKATTEETATEN: "Skatter og avgifter: SMS"
  { org: '958935420', service: 'NAERINGSUTVIKLING' }, // OSLO KOMMUNE: its own e-mail policy
  { org: '974760673', service: 'ADMINISTRASJON' }, // BRØNNØYSUNDREGISTRENE: the default policy
];

export interface InboxGraph {
  /** Enhetsregisteret, meldingsboks, varsling, in start order. */
  subgraphs: RunningSubgraph[];
  /** Signs callers for the subgraphs (and for the peers' clients, which forward it). */
  identity: InternalIdentity;
  /** Requests the subgraphs have received so far. */
  fetches(): number;
  /** Writes the supergraph with the subgraphs' URLs to `file`. */
  writeSupergraph(file: string, urls?: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

/**
 * The three real subgraphs in this process on database `databaseUrl` (demo data loaded), with
 * varsling's dispatch off so that answers stay the same.
 */
export async function startInboxGraph(o: {
  databaseUrl: string;
  secret: string;
  log: Logger;
}): Promise<InboxGraph> {
  // Lives as long as a run; subgraphs and the bench's own callers share it.
  const identity = new InternalIdentity(o.secret, 3600);
  const subgraphs: RunningSubgraph[] = [];
  const common = { databaseUrl: o.databaseUrl, host: '127.0.0.1', port: 0, log: o.log, identity };
  const close = async () => {
    for (const s of [...subgraphs].reverse()) await s.close();
  };
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
  } catch (err) {
    await close();
    throw err;
  }
  let fetches = 0;
  for (const s of subgraphs) s.httpServer.on('request', () => fetches++);
  return {
    subgraphs,
    identity,
    fetches: () => fetches,
    writeSupergraph: async (file, urls) => {
      await mkdir(path.dirname(file), { recursive: true });
      const own = Object.fromEntries(subgraphs.map((s) => [s.name, s.url]));
      await writeFile(
        file,
        withUrls(await readFile('schema/supergraph.graphql', 'utf8'), urls ?? own),
      );
    },
    close,
  };
}

/** The subgraph named `name` of `graph`. */
export function subgraphUrl(graph: InboxGraph, name: string): string {
  const s = graph.subgraphs.find((x) => x.name === name);
  if (!s) throw new Error(`no subgraph ${name}`);
  return s.url;
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
const PAGE = (n: number) => `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Enhet {
  inbox(first: ${n}) { nodes { id status } } } } }`;

/**
 * Sends `perRecipient` messages to each of `recipients` (from the senders in turn, a few at a
 * time) through meldingsboks at `url`, and waits until meldingsboks has published them all.
 */
export async function sendMessages(
  url: string,
  identity: InternalIdentity,
  recipients: readonly string[],
  perRecipient: number,
  names: ReadonlyMap<string, string> = new Map(),
): Promise<Map<string, string>> {
  const run = Date.now().toString(36);
  /** Message id → recipient. */
  const sent = new Map<string, string>();
  const jobs = recipients.flatMap((recipient) =>
    Array.from({ length: perRecipient }, (_, i) => ({ recipient, i })),
  );
  const senders = await Promise.all(
    SENDERS.map((s) => identity.sign(callerFrom({ sub: 'bench', org: s.org, scope: 'dpv:send' }))),
  );
  let next = 0;
  const worker = async () => {
    for (let job = jobs[next++]; job; job = jobs[next++]) {
      const from = SENDERS[job.i % SENDERS.length]!;
      const name = names.get(job.recipient) ?? job.recipient;
      const data = await post<{ sendMessage: { id: string } }>(
        url,
        senders[job.i % SENDERS.length]!,
        SEND,
        {
          input: {
            recipient: job.recipient,
            service: from.service,
            sendersReference: `bench-gateway-${run}-${job.recipient}-${job.i}`,
            title: `${name} (${job.recipient}): melding ${job.i + 1}`,
            body: 'Les meldingen i sin helhet i innboksen.',
          },
        },
      );
      sent.set(data.sendMessage.id, job.recipient);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, jobs.length) }, worker));
  await until('the messages to be published', async () => {
    let published = 0;
    for (const recipient of recipients) {
      const reader = await identity.sign(
        callerFrom({ sub: 'bench', org: recipient, scope: 'dpv:read' }),
      );
      const data = await post<{ _entities: Array<{ inbox: { nodes: Array<{ id: string }> } }> }>(
        url,
        reader,
        PAGE(perRecipient),
        { r: [{ __typename: 'Enhet', organisasjonsnummer: recipient }] },
      );
      published += data._entities[0]!.inbox.nodes.filter(
        (n) => sent.get(n.id) === recipient,
      ).length;
    }
    return published === sent.size;
  });
  return sent;
}

const NOTICES = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Message {
  notifications { kind } } } }`;

/**
 * Waits until varsling's engine has planned the notices of every message (`owners`: message id →
 * recipient): each has at least one, and the count held still over two looks.
 */
export async function waitForNotices(
  url: string,
  identity: InternalIdentity,
  owners: ReadonlyMap<string, string>,
): Promise<void> {
  const byOwner = new Map<string, string[]>();
  for (const [id, owner] of owners) byOwner.set(owner, [...(byOwner.get(owner) ?? []), id]);
  let last = -1;
  await until('varsling to plan the notices', async () => {
    let total = 0;
    let everyOne = true;
    for (const [owner, ids] of byOwner) {
      const reader = await identity.sign(
        callerFrom({ sub: 'bench', org: owner, scope: 'dpv:read' }),
      );
      const data = await post<{ _entities: Array<{ notifications: unknown[] } | null> }>(
        url,
        reader,
        NOTICES,
        { r: ids.map((id) => ({ __typename: 'Message', id })) },
      );
      const counts = data._entities.map((e) => e?.notifications.length ?? 0);
      everyOne &&= counts.every((c) => c > 0);
      total += counts.reduce((a, b) => a + b, 0);
    }
    const settled = everyOne && total === last;
    last = total;
    return settled;
  });
}

async function until(what: string, done: () => Promise<boolean>, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
