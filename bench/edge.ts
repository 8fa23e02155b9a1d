/**
 * `npm run bench:edge [-- --quick] [--duration 60] [--rate 50] [--flood-connections 100]
 * [--cpus 0,1|none]`
 *
 * A well-behaved caller's latency alone, then while one anonymous client floods the gateway with
 * expensive queries: once with the public edge as it ships (the default rate limits, in-flight
 * caps and load shedding, budgets in the gateway's PostgreSQL schema), and once with it opened
 * up (limits far above the flood) so that the difference is the edge's doing; and once as shipped
 * but with refusals answered at once (no tarpit), since the flooder here is a closed loop on this
 * machine whose own CPU is taken from the subgraphs. Prints figures and ratios; asserts nothing.
 *
 * The well-behaved caller: a token (org + sub) asking for one enhet's name and organisasjonsform
 * at a fixed rate (autocannon -R) over 4 connections. The flooder: anonymous, 100 connections, no
 * pipelining, as fast as it is answered, a page of 100 enheter with their underenheter (cost
 * 3 701, within the operation limits). Both autocannons, the subgraphs and PostgreSQL run on the
 * second CPU, the gateway alone on the first.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { signDevToken } from '../platform/auth/devKeys.js';
import { gatewayEnv } from '../gateway/env.js';
import { loadEnv } from '../platform/runtime/env.js';
import { createLogger } from '../platform/runtime/logger.js';
import { onShutdown } from '../platform/runtime/shutdown.js';
import { startGateway, type RunningGateway } from './gateway/gateways.js';
import { INBOX_ORG, startInbox } from './gateway/inbox.js';
import { autocannon, type LoadFigures } from './gateway/load.js';
import { ensurePeers, versionOf } from './gateway/peers.js';
import { freePort, pinFromFlag, processCpuSeconds } from './gateway/processes.js';
import type { Workload } from './gateway/workload.js';
import {
  benchDatabase,
  startBenchServer,
  withClient,
  type BenchServer,
} from './meldingsboks/postgres.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    /** Measured seconds per phase. */
    duration: { type: 'string' },
    /** The well-behaved caller's requests per second. */
    rate: { type: 'string', default: '50' },
    'flood-connections': { type: 'string', default: '100' },
    cpus: { type: 'string', default: '0,1' },
    'node-flags': { type: 'string', default: '--max-semi-space-size=64' },
    'pg-port': { type: 'string', default: '54353' },
    data: { type: 'string', default: '.data/bench/edge' },
  },
});

const root = fileURLToPath(new URL('../..', import.meta.url));
process.chdir(root);
// One whole budget window by default: the flooder's allowed share of each window lands in it.
const seconds = Number(values.duration ?? (values.quick ? 5 : 60));
const warmup = values.quick ? 1 : 3;
const rate = Number(values.rate);
const floodConnections = Number(values['flood-connections']);
const dataDir = path.resolve(values.data);
const log = createLogger('bench', 'warn');
const secret = 'bench:edge internal identity secret, not used for anything else';
const devKeyPath = path.resolve('.data/auth/dev-signing-key.json');

const POLITE_QUERY = `{ enhet(organisasjonsnummer: "${INBOX_ORG}") { navn organisasjonsform { kode beskrivelse } } }`;
const FLOOD_QUERY =
  '{ enheter(first: 100) { nodes { navn organisasjonsnummer organisasjonsform { kode beskrivelse } ' +
  'underenheter(first: 10) { nodes { navn organisasjonsnummer } } } } }';

const { pinned, gatewayCpu, restCpu, describe: describePinning } = pinFromFlag(values.cpus);
const defaults = loadEnv(gatewayEnv, {});

console.log(
  `edge benchmark: node ${process.version}, ${os.cpus()[0]?.model ?? '?'} (${os.cpus().length} CPUs), ` +
    `autocannon ${versionOf(root, 'bench/peers', 'autocannon')}`,
);
console.log(describePinning('subgraphs, PostgreSQL and both autocannons'));
console.log(
  `well-behaved: a token, ${rate} req/s over 4 connections: ${POLITE_QUERY}\n` +
    `flooder: anonymous, ${floodConnections} connections, no pipelining, as fast as answered: ${FLOOD_QUERY}\n` +
    `edge as shipped: ${defaults.RATE_LIMIT_ANONYMOUS_POINTS} points / ${defaults.RATE_LIMIT_WINDOW_S} s and ` +
    `${defaults.RATE_LIMIT_ANONYMOUS_IN_FLIGHT} in flight per address, ${defaults.RATE_LIMIT_POINTS} points and ` +
    `${defaults.RATE_LIMIT_IN_FLIGHT} in flight per token, refusals held ${defaults.RATE_LIMIT_TARPIT_MS} ms ` +
    `(the tarpit), shedding past ${defaults.LOAD_SHED_LAG_MS} ms of ` +
    `event-loop lag; budgets in PostgreSQL (schema gateway). Edge opened up: the same code, limits ` +
    `far above the flood. ${warmup} s warm-up (well-behaved alone) + ${seconds} s measured per phase.`,
);
ensurePeers(root);

let current: RunningGateway | undefined;
let workload: Workload | undefined;
let pg: BenchServer | undefined;
const cleanup = async () => {
  await current?.close();
  await workload?.close();
  await pg?.stop();
};
onShutdown(log, [cleanup], { timeoutMs: 30_000 });

interface Phase {
  name: string;
  flood: boolean;
  edge: 'shipped' | 'no tarpit' | 'open';
}
const PHASES: Phase[] = [
  { name: 'alone', flood: false, edge: 'shipped' },
  { name: 'flood, edge as shipped', flood: true, edge: 'shipped' },
  { name: 'flood, edge without the tarpit', flood: true, edge: 'no tarpit' },
  { name: 'flood, edge opened up', flood: true, edge: 'open' },
];

interface Measured {
  phase: Phase;
  polite: LoadFigures;
  flood?: LoadFigures;
  gatewayCpuPercent?: number | undefined;
  gatewayRssMb?: number | undefined;
}

let failed = false;
try {
  await mkdir(dataDir, { recursive: true });
  pg = await startBenchServer(path.join(dataDir, 'pg'), Number(values['pg-port']), log);
  onShutdown(log, [cleanup], { timeoutMs: 30_000 });
  console.log('starting the subgraphs (demo data on a fresh database)…');
  workload = await startInbox({ server: pg, dataDir, secret, devKeyPath, log });
  const state = await benchDatabase(pg.url, 'gateway_edge_state', false);
  const files = await writeBodies();
  const token = await signDevToken(devKeyPath, {
    sub: 'bench-frontend',
    org: INBOX_ORG,
    scope: 'dpv:read',
    ttl: 3600,
  });
  const politeHeaders = { authorization: `Bearer ${token}` };
  const results: Measured[] = [];
  for (const phase of PHASES) {
    results.push(await run(phase, workload, state.url, files, politeHeaders));
  }
  print(results);
} catch (err) {
  failed = true;
  console.error(`\nbench failed: ${(err as Error).stack ?? String(err)}`);
} finally {
  await cleanup();
}
process.exit(failed ? 1 : 0);

async function writeBodies() {
  const polite = path.join(dataDir, 'polite.body.json');
  const flood = path.join(dataDir, 'flood.body.json');
  await writeFile(polite, JSON.stringify({ query: POLITE_QUERY }));
  await writeFile(flood, JSON.stringify({ query: FLOOD_QUERY }));
  return { polite, flood };
}

/** The gateway's environment for a phase: the shipped edge, or one no flood reaches. */
function edgeEnv(edge: Phase['edge'], stateUrl: string): Record<string, string> {
  const shipped = {
    RATE_LIMIT_WINDOW_S: defaults.RATE_LIMIT_WINDOW_S,
    RATE_LIMIT_POINTS: defaults.RATE_LIMIT_POINTS,
    RATE_LIMIT_IN_FLIGHT: defaults.RATE_LIMIT_IN_FLIGHT,
    RATE_LIMIT_ANONYMOUS_POINTS: defaults.RATE_LIMIT_ANONYMOUS_POINTS,
    RATE_LIMIT_ANONYMOUS_IN_FLIGHT: defaults.RATE_LIMIT_ANONYMOUS_IN_FLIGHT,
    RATE_LIMIT_TARPIT_MS: defaults.RATE_LIMIT_TARPIT_MS,
    LOAD_SHED_LAG_MS: defaults.LOAD_SHED_LAG_MS,
  };
  const env: Record<string, string> = { DATABASE_URL: stateUrl };
  // Opened up: the bench's generous limits (gateways.ts) stay; the budgets are still spent.
  if (edge !== 'open') {
    for (const [k, v] of Object.entries(shipped)) env[k] = String(v);
  }
  if (edge === 'no tarpit') env.RATE_LIMIT_TARPIT_MS = '0';
  return env;
}

async function run(
  phase: Phase,
  w: Workload,
  stateUrl: string,
  files: { polite: string; flood: string },
  politeHeaders: Record<string, string>,
): Promise<Measured> {
  // A fresh window for every phase.
  await withClient(stateUrl, (c) =>
    c.query('delete from gateway.rate_limit_budget').catch(() => undefined),
  );
  current = await startGateway('ours', {
    supergraphPath: w.supergraphPath,
    subgraphUrls: w.subgraphUrls,
    port: await freePort(),
    cpu: gatewayCpu,
    root,
    secret,
    devKeyPath,
    hiveDedupe: false,
    nodeFlags: values['node-flags'].split(' ').filter(Boolean),
    env: edgeEnv(phase.edge, stateUrl),
  });
  try {
    await check(current.url, files.polite, politeHeaders, 'enhet');
    const polite = {
      url: current.url,
      bodyFile: files.polite,
      headers: politeHeaders,
      connections: 4,
      rate,
      root,
      cpu: restCpu,
    };
    process.stdout.write(`  ${phase.name}: warm-up ${warmup} s, `);
    await autocannon({ ...polite, seconds: warmup });
    process.stdout.write(`measuring ${seconds} s… `);
    const pid = current.process.child.pid;
    const cpuBefore = processCpuSeconds(pid);
    const [politeFigures, floodFigures] = await Promise.all([
      autocannon({ ...polite, seconds }),
      phase.flood
        ? autocannon({
            url: current.url,
            bodyFile: files.flood,
            headers: {},
            connections: floodConnections,
            seconds,
            root,
            cpu: restCpu,
          })
        : Promise.resolve(undefined),
    ]);
    const cpuAfter = processCpuSeconds(pid);
    console.log(`${Math.round(politeFigures.requestsPerSecond)} req/s well-behaved`);
    return {
      phase,
      polite: politeFigures,
      ...(floodFigures ? { flood: floodFigures } : {}),
      gatewayCpuPercent:
        cpuBefore === undefined || cpuAfter === undefined
          ? undefined
          : (100 * (cpuAfter - cpuBefore)) / seconds,
      gatewayRssMb: peakRssMb(pid),
    };
  } finally {
    await current.close();
    current = undefined;
  }
}

/** One request, answered with data at `field` and no error, or the bench stops. */
async function check(
  url: string,
  bodyFile: string,
  headers: Record<string, string>,
  field: string,
) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: readFileSync(bodyFile, 'utf8'),
  });
  const body = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (!res.ok || body.errors || !body.data?.[field]) {
    throw new Error(
      `the well-behaved query failed: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`,
    );
  }
}

/** The process's peak resident memory (VmHWM), in MB. */
function peakRssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

function print(results: Measured[]): void {
  const baseline = results[0]!.polite;
  const rows = [
    [
      'phase',
      'ok req/s',
      'ok p50 ms',
      'ok p99 ms',
      'p99 × alone',
      'ok non-2xx',
      'flood req/s',
      'flood 200',
      'flood 429',
      'flood other',
      'gw CPU %',
      'gw peak RSS MB',
    ],
    ...results.map((r) => {
      const f = r.flood;
      const other = f
        ? f.requests - (f.statusCodes['200'] ?? 0) - (f.statusCodes['429'] ?? 0)
        : undefined;
      return [
        r.phase.name,
        r.polite.requestsPerSecond.toFixed(0),
        r.polite.p50.toFixed(1),
        r.polite.p99.toFixed(1),
        (r.polite.p99 / Math.max(baseline.p99, 0.001)).toFixed(2),
        String(r.polite.non2xx + r.polite.errors + r.polite.timeouts),
        f ? f.requestsPerSecond.toFixed(0) : '-',
        f ? String(f.statusCodes['200'] ?? 0) : '-',
        f ? String(f.statusCodes['429'] ?? 0) : '-',
        other === undefined ? '-' : String(other + f!.errors + f!.timeouts),
        r.gatewayCpuPercent?.toFixed(0) ?? '?',
        r.gatewayRssMb?.toFixed(0) ?? '?',
      ];
    }),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  console.log('');
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  console.log(
    `\nok = the well-behaved caller; p99 × alone = its p99 over its p99 with no flood` +
      (pinned ? '' : ' (no pinning: every figure shares every CPU)'),
  );
}
