/**
 * `npm run bench:meldingsboks [-- --messages 10000000 --inboxes 1100000]` (or `-- --quick`):
 * bulk-loads published messages into a fresh PostgreSQL (port 54351), then measures through the
 * subgraph's GraphQL endpoint an inbox page and unreadCount (p50/p99), sendMessage throughput,
 * and publish → subscriber latency over graphql-ws at a paced rate. Prints figures; asserts
 * nothing. The subgraphs and the load generator share this process (and the machine) with
 * PostgreSQL, so the figures are a floor, not a capacity.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { callerFrom } from '../platform/auth/caller.js';
import { CALLER_HEADER, InternalIdentity } from '../platform/auth/internalIdentity.js';
import { createLogger } from '../platform/logger.js';
import { migrateSubgraph, startSubgraph, type RunningSubgraph } from '../platform/subgraph.js';
import { definition as enhetsregisteret } from '../subgraphs/enhetsregisteret/index.js';
import { definition as meldingsboks } from '../subgraphs/meldingsboks/index.js';
import { explainInbox } from './meldingsboks/explain.js';
import { publishLatency } from './meldingsboks/latency.js';
import { bulkLoad, inboxKey, type LoadReport } from './meldingsboks/load.js';
import {
  benchDatabase,
  dropDatabase,
  markLoaded,
  startBenchServer,
  withClient,
} from './meldingsboks/postgres.js';
import { closedLoop, formatRow, HEADER, type Figures } from './meldingsboks/stats.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    messages: { type: 'string' },
    inboxes: { type: 'string' },
    /** Measured requests per read workload. */
    requests: { type: 'string', default: '3000' },
    concurrency: { type: 'string', default: '8' },
    'send-seconds': { type: 'string', default: '15' },
    'send-concurrency': { type: 'string', default: '16' },
    rate: { type: 'string', default: '1000' },
    'latency-seconds': { type: 'string', default: '10' },
    port: { type: 'string', default: '54351' },
    data: { type: 'string', default: '.data/bench/meldingsboks-pg' },
    /** Keep the loaded database; a later run of the same size reuses it. */
    keep: { type: 'boolean', default: false },
    /** Print EXPLAIN (ANALYZE, BUFFERS) of the inbox statements. */
    explain: { type: 'boolean', default: false },
  },
});
const size = {
  messages: Number(values.messages ?? (values.quick ? 200_000 : 10_000_000)),
  inboxes: Number(values.inboxes ?? (values.quick ? 20_000 : 1_100_000)),
};
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);
const log = createLogger('bench', 'warn');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const grouped = (n: number) => n.toLocaleString('en').replace(/,/g, ' ');

const dataDir = path.resolve(values.data);
const server = await startBenchServer(dataDir, Number(values.port), log);
const dbName = `meldingsboks_${size.messages}_${size.inboxes}`;
const subgraphs: RunningSubgraph[] = [];
try {
  console.log(
    `meldingsboks: ${grouped(size.messages)} messages over ${grouped(size.inboxes)} inboxes`,
  );
  const db = await benchDatabase(server.url, dbName, values.keep);
  let load: LoadReport;
  if (db.loaded) {
    load = await withClient(
      db.url,
      async (c) => (await c.query('select facts from bench.loaded')).rows[0].facts,
    );
    console.log('load: reused the database of an earlier --keep run; its figures:');
  } else {
    await migrateSubgraph(meldingsboks, db.url, log);
    let shown = 0;
    load = await bulkLoad(db.url, {
      ...size,
      onProgress: (n) => {
        if (n - shown >= size.messages / 10 || n === size.messages) {
          shown = n;
          process.stdout.write(`  loaded ${grouped(n)}\r`);
        }
      },
    });
    if (values.keep) await markLoaded(db.url, load);
  }
  const indexMs = load.indexes.reduce((s, i) => s + i.ms, 0);
  console.log(
    `load: rows ${seconds(load.rowsMs)} (${grouped(Math.round(size.messages / (load.rowsMs / 1000)))} rows/s), ` +
      `indexes ${seconds(indexMs)}, vacuum analyze ${seconds(load.vacuumMs)}; ` +
      `in all ${seconds(load.rowsMs + indexMs + load.vacuumMs)}`,
  );
  for (const i of load.indexes) console.log(`  ${i.name} ${seconds(i.ms)}`);
  console.log(
    `  table ${mb(load.tableBytes)}, indexes ${mb(load.indexBytes)}; largest inbox ${grouped(load.largestInbox)} messages`,
  );

  // Both subgraphs as tests start them; meldingsboks asks enhetsregisteret about recipients.
  const identity = new InternalIdentity('benchmark secret, not used for anything else', 3600);
  const common = { databaseUrl: db.url, host: '127.0.0.1', port: 0, log, identity };
  const register = await startSubgraph(enhetsregisteret, { ...common, seedWhenEmpty: true });
  subgraphs.push(register);
  const boks = await startSubgraph(meldingsboks, {
    ...common,
    seedWhenEmpty: true,
    peers: { enhetsregisteret: register.url },
  });
  subgraphs.push(boks);
  const as = (org: string, scope: string) =>
    identity.sign(callerFrom({ sub: 'bench', org, scope }));
  const post = async (query: string, variables: Record<string, unknown>, token: string) => {
    const res = await fetch(boks.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [CALLER_HEADER]: token },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: unknown; errors?: unknown };
    if (!res.ok || body.errors) throw new Error(JSON.stringify(body.errors ?? res.status));
    return body.data;
  };

  // Reads, acting as the inbox's own enhet.
  const inboxQuery = (selection: string) =>
    `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Enhet { ${selection} } } }`;
  const PAGE = inboxQuery('inbox(first: 20) { nodes { id title status } }');
  const UNREAD = inboxQuery('inbox { unreadCount }');
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const read = (name: string, query: string, pick: () => string) =>
    closedLoop(
      name,
      async () => {
        const org = pick();
        return { org, token: await as(org, 'dpv:read') };
      },
      async ({ org, token }) => {
        await post(query, { r: [{ __typename: 'Enhet', organisasjonsnummer: org }] }, token);
      },
      { concurrency, requests, warmup: 100 },
    );
  const randomInbox = () => inboxKey(rnd(size.inboxes));
  const largest = () => inboxKey(0);
  const rows: Figures[] = [];
  const measured = (f: Figures) => {
    rows.push(f);
    console.log(formatRow(f));
  };
  console.log(`\nreads: ${requests} each, ${concurrency} at a time, over HTTP\n${HEADER}`);
  measured(await read('inbox page, first 20 (random inbox)', PAGE, randomInbox));
  measured(await read('unreadCount (random inbox)', UNREAD, randomInbox));
  measured(await read(`inbox page (largest, ${grouped(load.largestInbox)})`, PAGE, largest));
  measured(await read(`unreadCount (largest)`, UNREAD, largest));
  if (values.explain) {
    await explainInbox({
      databaseUrl: db.url,
      request: async (query, org) =>
        post(
          query,
          { r: [{ __typename: 'Enhet', organisasjonsnummer: org }] },
          await as(org, 'dpv:read'),
        ),
      orgs: [randomInbox(), largest()],
      queries: { 'inbox page': PAGE, unreadCount: UNREAD },
    });
  }

  // Sends: an approved sender to the registered demo enheter, every reference new.
  const recipients = ['310012343', '310024686', '310037028', '310049360'];
  const senderToken = await as('974761076', 'dpv:send');
  const run = Date.now().toString(36);
  const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id status } }`;
  const sendConcurrency = Number(values['send-concurrency']);
  console.log(`sends: ${sendConcurrency} at a time for ${values['send-seconds']} s`);
  const send = await closedLoop(
    `sendMessage (${sendConcurrency} at a time)`,
    (i) => ({ i, recipient: recipients[i % recipients.length]! }),
    async ({ i, recipient }) => {
      await post(
        SEND,
        {
          input: {
            recipient,
            service: 'SKATTER_AVGIFTER',
            sendersReference: `bench-${run}-${i}`,
            title: `Melding ${i} om skatter og avgifter`,
            body: 'Se vedtaket i innboksen.',
          },
        },
        senderToken,
      );
    },
    { concurrency: sendConcurrency, durationMs: Number(values['send-seconds']) * 1000, warmup: 20 },
  );
  measured(send);

  console.log(`latency: ${values.rate} events/s for ${values['latency-seconds']} s`);
  measured(
    await publishLatency({
      subgraphUrl: boks.url,
      databaseUrl: db.url,
      token: await as(recipients[0]!, 'dpv:read'),
      recipient: recipients[0]!,
      rate: Number(values.rate),
      durationMs: Number(values['latency-seconds']) * 1000,
    }),
  );

  console.log(
    `\nmeldingsboks at ${grouped(size.messages)} messages / ${grouped(size.inboxes)} inboxes ` +
      `(load ${grouped(Math.round(size.messages / (load.rowsMs / 1000)))} rows/s):`,
  );
  console.log(HEADER);
  for (const r of rows) console.log(formatRow(r));
} finally {
  for (const s of subgraphs.reverse()) await s.close().catch(() => {});
  if (!values.keep) await dropDatabase(server.url, dbName).catch(() => {});
  await server.stop();
}
process.exit(0);
