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
import { InternalIdentity } from '../platform/auth/internalIdentity.js';
import { createLogger } from '../platform/runtime/logger.js';
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
import { formatRow, HEADER, type Figures } from './meldingsboks/stats.js';
import {
  entity,
  measureReads,
  measureSends,
  PAGE,
  RECIPIENTS,
  SubgraphClient,
  TOTAL,
  UNREAD,
} from './meldingsboks/workloads.js';

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
    /** Messages per publishing transaction, one latency run each. */
    batches: { type: 'string', default: '1,10' },
    port: { type: 'string', default: '54351' },
    data: { type: 'string', default: '.data/bench/meldingsboks-pg' },
    /** Keep the loaded database; a later run of the same size reuses it. */
    keep: { type: 'boolean', default: false },
    /** Which measurements to run, comma-separated. */
    phases: { type: 'string', default: 'reads,sends,latency' },
    /** Print EXPLAIN (ANALYZE, BUFFERS) of the inbox statements. */
    explain: { type: 'boolean', default: false },
  },
});
const size = {
  messages: Number(values.messages ?? (values.quick ? 200_000 : 10_000_000)),
  inboxes: Number(values.inboxes ?? (values.quick ? 20_000 : 1_100_000)),
};
const requests = Number(values.requests);
const phases = new Set(values.phases.split(','));
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
    const began = performance.now();
    load = await bulkLoad(db.url, {
      ...size,
      onProgress: (n) => {
        if (n - shown >= size.messages / 10 || n === size.messages) {
          shown = n;
          console.log(`  loaded ${grouped(n)} (${seconds(performance.now() - began)})`);
        }
      },
    });
    if (values.keep) await markLoaded(db.url, load);
  }
  // A database kept by an earlier version of this bench has no rebuildMs: the sum is an upper bound.
  const rebuildMs = load.rebuildMs ?? load.indexes.reduce((s, i) => s + i.ms, 0);
  console.log(
    `load: rows ${seconds(load.rowsMs)} (${grouped(Math.round(size.messages / (load.rowsMs / 1000)))} rows/s), ` +
      `keys and indexes ${seconds(rebuildMs)}, vacuum analyze ${seconds(load.vacuumMs)}; ` +
      `in all ${seconds(load.rowsMs + rebuildMs + load.vacuumMs)}`,
  );
  console.log(`  ${load.indexes.map((i) => `${i.name} ${seconds(i.ms)}`).join(', ')}`);
  const per = load.perInbox;
  console.log(
    `  table ${mb(load.tableBytes)}, indexes ${mb(load.indexBytes)}; ${grouped(per.inboxes)} inboxes ` +
      `hold post: ${per.p50} messages in the median one, ${per.p99} at p99, ${grouped(per.max)} in the largest`,
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
  const client = new SubgraphClient(boks.url, identity);
  const rows: Figures[] = [];
  const report = (f: Figures) => {
    rows.push(f);
    console.log(formatRow(f));
  };

  if (phases.has('reads')) {
    console.log(`\nreads: ${requests} each, ${concurrency} at a time, over HTTP\n${HEADER}`);
    const o = { ...size, largestInbox: load.perInbox.max, requests, concurrency };
    await measureReads(client, o, report);
    if (values.explain) {
      await explainInbox({
        databaseUrl: db.url,
        request: async (query, org) =>
          client.post(query, entity(org), await client.token(org, 'dpv:read')),
        orgs: [inboxKey(Math.floor(size.inboxes / 2)), inboxKey(0)],
        queries: { 'inbox page': PAGE, unreadCount: UNREAD, totalCount: TOTAL },
      });
    }
  }
  if (phases.has('sends')) {
    const o = {
      concurrency: Number(values['send-concurrency']),
      seconds: Number(values['send-seconds']),
    };
    console.log(`\nsends: ${o.concurrency} at a time for ${o.seconds} s\n${HEADER}`);
    report(await measureSends(client, db.url, o));
  }
  if (phases.has('latency')) {
    const rate = Number(values.rate);
    console.log(`\nlatency: ${rate} events/s for ${values['latency-seconds']} s\n${HEADER}`);
    for (const batch of values.batches.split(',').map(Number)) {
      report(
        await publishLatency({
          subgraphUrl: boks.url,
          databaseUrl: db.url,
          token: await client.token(RECIPIENTS[0]!, 'dpv:read'),
          recipient: RECIPIENTS[0]!,
          rate,
          batch,
          durationMs: Number(values['latency-seconds']) * 1000,
        }),
      );
    }
  }

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
