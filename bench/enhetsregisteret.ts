/**
 * `npm run bench:enhetsregisteret [-- --enheter 1100000 --underenheter 600000]`: generates the
 * register at national scale in brreg's formats, imports it into a fresh PostgreSQL, and measures
 * name search, filter search and enhet() lookups through the subgraph's GraphQL endpoint.
 * Prints figures; asserts nothing.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { InternalIdentity } from '../platform/auth/internalIdentity.js';
import { openDatabase } from '../platform/db/database.js';
import { createLogger } from '../platform/runtime/logger.js';
import { migrateSubgraph, startSubgraph } from '../platform/subgraph.js';
import {
  enhetOrgnr,
  generateEnheter,
  generateRoller,
  generateUnderenheter,
  writeGzipJsonArray,
  type GenerateOptions,
} from '../subgraphs/enhetsregisteret/brreg/generate.js';
import { importFile, importPool, type Kind } from '../subgraphs/enhetsregisteret/brreg/importer.js';
import { definition } from '../subgraphs/enhetsregisteret/index.js';

const { values } = parseArgs({
  options: {
    enheter: { type: 'string', default: '1100000' },
    underenheter: { type: 'string', default: '600000' },
    requests: { type: 'string', default: '300' },
    data: { type: 'string', default: '.data/bench/brreg' },
    port: { type: 'string', default: '54350' },
  },
});
const o: GenerateOptions = {
  enheter: Number(values.enheter),
  underenheter: Number(values.underenheter),
};
const requests = Number(values.requests);
const log = createLogger('bench', 'warn');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

// 1. Data files (kept between runs for the same size).
const dataDir = path.resolve(values.data, `${o.enheter}-${o.underenheter}`);
await mkdir(dataDir, { recursive: true });
const files: Record<Kind, string> = {
  enheter: path.join(dataDir, 'enheter.json.gz'),
  underenheter: path.join(dataDir, 'underenheter.json.gz'),
  roller: path.join(dataDir, 'roller.json.gz'),
};
if (!Object.values(files).every(existsSync)) {
  const t = performance.now();
  await writeGzipJsonArray(files.enheter, generateEnheter(o));
  await writeGzipJsonArray(files.underenheter, generateUnderenheter(o));
  await writeGzipJsonArray(files.roller, generateRoller(o));
  console.log(
    `generated ${o.enheter} enheter, ${o.underenheter} underenheter + roller in ${seconds(performance.now() - t)}`,
  );
}

// 2. Import into a fresh server.
const pgDir = await mkdtemp(path.join(tmpdir(), 'dpv-bench-pg-'));
const db = await openDatabase({
  dataDir: path.join(pgDir, 'pg'),
  port: Number(values.port),
  database: 'dpv',
  log,
});
try {
  await migrateSubgraph(definition, db.url, log);
  const pool = importPool(db.url);
  const importTimes: string[] = [];
  const began = performance.now();
  const indexes: Array<Promise<void>> = [];
  for (const kind of ['enheter', 'underenheter', 'roller'] as const) {
    const t = performance.now();
    const r = await importFile(pool, kind, files[kind], { deferIndexes: true });
    if (r.indexes) indexes.push(r.indexes);
    importTimes.push(
      `${kind} ${r.imported} in ${seconds(performance.now() - t)} (${Math.round(r.imported / ((performance.now() - t) / 1000))}/s, ${r.skipped.length} skipped)`,
    );
  }
  const rowsMs = performance.now() - began;
  await Promise.all(indexes);
  const importMs = performance.now() - began;
  importTimes.push(`rows in ${seconds(rowsMs)}, indexes done ${seconds(importMs - rowsMs)} later`);
  await pool.end();
  console.log(`import: ${seconds(importMs)} in all (target < 180 s)`);
  for (const line of importTimes) console.log(`  ${line}`);

  // 3. Queries through the subgraph's GraphQL endpoint, one at a time.
  const subgraph = await startSubgraph(definition, {
    databaseUrl: db.url,
    host: '127.0.0.1',
    port: 0,
    log,
    identity: new InternalIdentity('benchmark secret, not used for anything else'),
  });
  const prefixes = ['FJORD', 'NORD', 'BERG', 'VIK', 'LYS', 'HAVN', 'SKOG', 'SOL', 'ELV', 'TIND'];
  const kommuner = ['0301', '4601', '5001', '1103', '3907', '5501', '4204', '3301'];
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const workloads: Array<[string, () => [string, Record<string, unknown>]]> = [
    [
      'enhet() lookup',
      () => [
        `query ($n: String!) { enhet(organisasjonsnummer: $n) { navn organisasjonsform { kode } forretningsadresse { poststed } } }`,
        { n: enhetOrgnr(rnd(o.enheter)) },
      ],
    ],
    [
      'name search (prefix)',
      () => [
        `query ($f: EnhetFilter) { enheter(filter: $f, first: 20) { edges { node { organisasjonsnummer navn } } pageInfo { endCursor } } }`,
        { f: { navn: `${prefixes[rnd(prefixes.length)]}` } },
      ],
    ],
    [
      'name search (fuzzy)',
      () => [
        `query ($f: EnhetFilter) { enheter(filter: $f, first: 20) { edges { node { organisasjonsnummer navn } } } }`,
        { f: { navn: `${prefixes[rnd(prefixes.length)]} BYG`, navnSok: 'FUZZY' } },
      ],
    ],
    [
      'filter search',
      () => [
        `query ($f: EnhetFilter) { enheter(filter: $f, first: 20) { edges { node { organisasjonsnummer navn } } } }`,
        {
          f: {
            kommunenummer: kommuner[rnd(kommuner.length)],
            organisasjonsform: ['AS'],
            fraAntallAnsatte: 5,
            naeringskode: '43',
          },
        },
      ],
    ],
    [
      'filter search + totalCount',
      () => [
        `query ($f: EnhetFilter) { enheter(filter: $f, first: 20) { totalCount edges { node { navn } } } }`,
        { f: { kommunenummer: kommuner[rnd(kommuner.length)], konkurs: false } },
      ],
    ],
  ];
  console.log(`\nqueries (${requests} each, sequential, through GraphQL over HTTP):`);
  console.log('  workload                      p50 ms   p99 ms   max ms');
  for (const [name, make] of workloads) {
    const times: number[] = [];
    for (let i = 0; i < requests + 20; i++) {
      const [query, variables] = make();
      const t = performance.now();
      const res = await fetch(subgraph.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { errors?: unknown };
      if (body.errors) throw new Error(`${name}: ${JSON.stringify(body.errors)}`);
      if (i >= 20) times.push(performance.now() - t); // the first 20 warm up
    }
    times.sort((a, b) => a - b);
    const q = (p: number) =>
      times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(1);
    console.log(
      `  ${name.padEnd(28)} ${q(0.5).padStart(7)}  ${q(0.99).padStart(7)}  ${times.at(-1)!.toFixed(1).padStart(7)}`,
    );
  }
  await subgraph.close();
} finally {
  await db.stop();
  await rm(pgDir, { recursive: true, force: true });
}
