/**
 * `npm run bench:hostile`
 *
 * The gateway's memory under hostile sockets, each case against a fresh gateway process (ours,
 * `node dist/gateway/main.js`, its limits as shipped) in front of the real subgraphs: its
 * resident memory (VmRSS) before, at the worst point and after, and what the gateway did. Prints
 * figures; asserts nothing.
 *
 * 1. 100 distinct documents of ~1 MB each over one anonymous socket.
 * 2. 300 subscribe frames at once on one connection.
 * 3. 30 connections of one token, its header spelled `Bearer`, `bearer`, `BEARER`, with two spaces.
 * 4. 40 subscriptions selecting attachments' content on a socket whose client stops reading,
 *    while 12 messages with a 700 KB attachment arrive.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { signDevToken } from '../platform/auth/devKeys.js';
import { callerFrom } from '../platform/auth/caller.js';
import { CALLER_HEADER, InternalIdentity } from '../platform/auth/internalIdentity.js';
import { createLogger } from '../platform/runtime/logger.js';
import { onShutdown } from '../platform/runtime/shutdown.js';
import { startGateway, type RunningGateway } from './gateway/gateways.js';
import { INBOX_ORG, startInbox } from './gateway/inbox.js';
import { freePort } from './gateway/processes.js';
import type { Workload } from './gateway/workload.js';
import { startBenchServer, type BenchServer } from './meldingsboks/postgres.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
process.chdir(root);
const dataDir = path.resolve('.data/bench/hostile');
const log = createLogger('bench', 'warn');
const secret = 'bench:hostile internal identity secret, not used for anything else';
const devKeyPath = path.resolve('.data/auth/dev-signing-key.json');
const SKATTEETATEN = '974761076';

let current: RunningGateway | undefined;
let workload: Workload | undefined;
let pg: BenchServer | undefined;
const cleanup = async () => {
  await current?.close();
  await workload?.close();
  await pg?.stop();
};
onShutdown(log, [cleanup], { timeoutMs: 30_000 });

interface Row {
  scenario: string;
  before: number;
  peak: number;
  after: number;
  outcome: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The process's resident memory, MB. */
function rssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb ? Number(kb) / 1024 : NaN;
}

/** Samples the gateway's RSS every 50 ms while `work` runs; the peak. */
async function sampled<T>(pid: number | undefined, work: () => Promise<T>) {
  let peak = rssMb(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 50);
  try {
    const result = await work();
    return { result, peak: Math.max(peak, rssMb(pid)) };
  } finally {
    clearInterval(timer);
  }
}

/** A graphql-transport-ws socket, acknowledged; `authorization` as given, verbatim. */
async function socket(url: string, authorization?: string) {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const messages: Array<{ type: string; id?: string; payload?: unknown }> = [];
  let closed: number | undefined;
  ws.on('message', (d) => messages.push(JSON.parse(String(d))));
  ws.on('close', (code) => (closed = code));
  ws.on('error', () => undefined);
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  ws.send(
    JSON.stringify({
      type: 'connection_init',
      payload: authorization ? { authorization } : {},
    }),
  );
  for (let i = 0; i < 100 && closed === undefined; i++) {
    if (messages.some((m) => m.type === 'connection_ack')) break;
    await sleep(20);
  }
  return { ws, messages, closed: () => closed };
}

async function main(): Promise<Row[]> {
  await mkdir(dataDir, { recursive: true });
  pg = await startBenchServer(path.join(dataDir, 'pg'), 54354, log);
  onShutdown(log, [cleanup], { timeoutMs: 30_000 });
  console.log('starting the subgraphs (demo data on a fresh database)…');
  workload = await startInbox({ server: pg, dataDir, secret, devKeyPath, log });
  const token = await signDevToken(devKeyPath, {
    sub: 'bench-hostile',
    org: INBOX_ORG,
    scope: 'dpv:read',
    ttl: 3600,
  });
  const rows: Row[] = [];
  const run = async (scenario: string, work: (url: string) => Promise<string>) => {
    current = await startGateway('ours', {
      supergraphPath: workload!.supergraphPath,
      subgraphUrls: workload!.subgraphUrls,
      port: await freePort(),
      cpu: undefined,
      root,
      secret,
      devKeyPath,
      hiveDedupe: false,
      nodeFlags: [],
      // The shipped limits, not the bench's generous ones.
      env: {
        LIMIT_MAX_DOCUMENT_BYTES: '32768',
        LIMIT_MAX_DEPTH: '12',
        LIMIT_MAX_COST: '25000',
        MAX_BODY_SIZE: '1mb',
      },
    });
    const pid = current.process.child.pid;
    await sleep(500);
    const before = rssMb(pid);
    process.stdout.write(`  ${scenario}… `);
    const { result, peak } = await sampled(pid, () => work(current!.url));
    await sleep(1_000);
    const after = rssMb(pid);
    console.log(result);
    rows.push({ scenario, before, peak, after, outcome: result });
    await current.close();
    current = undefined;
  };

  await run('100 distinct ~1 MB documents, one anonymous socket', async (url) => {
    const s = await socket(url);
    for (let i = 0; i < 100; i++) {
      const query = `{ enhet(organisasjonsnummer: "${INBOX_ORG}") { navn } } # ${i} ${'x'.repeat(1_000_000)}`;
      s.ws.send(JSON.stringify({ id: `d${i}`, type: 'subscribe', payload: { query } }));
      await sleep(5);
    }
    await sleep(1_000);
    const refused = s.messages.filter((m) => m.type === 'error').length;
    s.ws.close();
    return `${refused} refused before parsing, socket ${s.closed() ?? 'open'}`;
  });

  await run('300 subscribe frames at once on one connection', async (url) => {
    const s = await socket(url, `Bearer ${token}`);
    const query = `subscription ($r: String!) { messagePublished(recipient: $r) { cursor } }`;
    for (let i = 0; i < 300; i++) {
      s.ws.send(
        JSON.stringify({
          id: `s${i}`,
          type: 'subscribe',
          payload: { query, variables: { r: INBOX_ORG } },
        }),
      );
    }
    await sleep(2_000);
    const refused = s.messages.filter((m) => m.type === 'error').length;
    s.ws.close();
    return `${300 - refused} admitted, ${refused} refused (limit 100)`;
  });

  await run("30 connections of one token, the header's spelling varied", async (url) => {
    const spellings = ['Bearer ', 'bearer ', 'BEARER ', 'Bearer  '];
    const sockets = await Promise.all(
      Array.from({ length: 30 }, (_, i) => socket(url, `${spellings[i % 4]}${token}`)),
    );
    await sleep(500);
    const open = sockets.filter((s) => s.closed() === undefined).length;
    for (const s of sockets) s.ws.close();
    return `${open} of 30 admitted (limit 20 per org + sub)`;
  });

  await run('40 subscriptions to attachments, client stops reading, 12 × 700 KB', async (url) => {
    const s = await socket(url, `Bearer ${token}`);
    const query = `subscription ($r: String!) { messagePublished(recipient: $r) { message { attachments { contentBase64 } } } }`;
    for (let i = 0; i < 40; i++) {
      s.ws.send(
        JSON.stringify({
          id: `a${i}`,
          type: 'subscribe',
          payload: { query, variables: { r: INBOX_ORG } },
        }),
      );
    }
    await sleep(1_500);
    (s.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const identity = new InternalIdentity(secret, 3600);
    const header = await identity.sign(
      callerFrom({ sub: 'bench', org: SKATTEETATEN, scope: 'dpv:send' }),
    );
    const content = Buffer.alloc(700 * 1024, 7).toString('base64');
    for (let i = 0; i < 12; i++) {
      await fetch(workload!.subgraphUrls.meldingsboks!, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [CALLER_HEADER]: header },
        body: JSON.stringify({
          query: 'mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id } }',
          variables: {
            input: {
              recipient: INBOX_ORG,
              service: 'SKATTER_AVGIFTER',
              sendersReference: `hostile-${Date.now()}-${i}`,
              title: `big ${i}`,
              body: 'x',
              attachments: [
                {
                  name: `a${i}.bin`,
                  contentType: 'application/octet-stream',
                  contentBase64: content,
                },
              ],
            },
          },
        }),
      }).then((r) => r.arrayBuffer());
    }
    await sleep(3_000);
    (s.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    for (let i = 0; i < 100 && s.closed() === undefined; i++) await sleep(100);
    return `socket closed with ${s.closed() ?? 'nothing (still open)'}`;
  });
  return rows;
}

let failed = false;
try {
  const rows = await main();
  console.log('\n| scenario | RSS before MB | RSS peak MB | RSS after MB | what the gateway did |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.scenario} | ${r.before.toFixed(0)} | ${r.peak.toFixed(0)} | ${r.after.toFixed(0)} | ${r.outcome} |`,
    );
  }
} catch (err) {
  failed = true;
  console.error(`\nbench failed: ${(err as Error).stack ?? String(err)}`);
} finally {
  await cleanup();
}
process.exit(failed ? 1 : 0);
