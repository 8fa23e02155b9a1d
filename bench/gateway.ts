/**
 * `npm run bench:gateway [-- --quick] [--duration 20] [--warmup 5] [--connections 50]
 * [--workloads demo,inbox] [--gateways ours,apollo,hive] [--cpus 0,1|none] [--hive-dedupe on|off]`
 *
 * Puts three gateways, one after another, in front of the same subgraphs and supergraph and loads
 * each with autocannon on loopback: ours (`node dist/gateway/main.js`), stock Apollo Gateway
 * (bench/gateway/apollo.ts) and Hive Gateway (its CLI, installed in bench/peers). Workloads: the
 * classic federation demo with the nested query of the public graphql-gateways-benchmark, and
 * this graph's inbox across its three subgraphs. Before measuring, each gateway's answer is
 * checked and compared with the first gateway's. Prints requests/s, p50 and p99 per gateway and
 * the ratios of ours to the others; asserts nothing.
 *
 * With two CPUs or more, every gateway runs alone on the first CPU of --cpus and everything else
 * (this process with the subgraphs, PostgreSQL, autocannon) on the second.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isDeepStrictEqual } from 'node:util';
import { createLogger } from '../platform/runtime/logger.js';
import { onShutdown } from '../platform/runtime/shutdown.js';
import { startDemo } from './gateway/demo/index.js';
import { startGateway, type RunningGateway } from './gateway/gateways.js';
import { startInbox } from './gateway/inbox.js';
import { autocannon, type LoadFigures } from './gateway/load.js';
import { ensurePeers, versionOf } from './gateway/peers.js';
import {
  busyPercent,
  cpuTimes,
  freePort,
  pinFromFlag,
  processCpuSeconds,
} from './gateway/processes.js';
import { GATEWAYS, type GatewayName, type Workload } from './gateway/workload.js';
import { startBenchServer, type BenchServer } from './meldingsboks/postgres.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    /** Measured seconds per gateway and workload. */
    duration: { type: 'string' },
    /** Warm-up seconds before each measured run (same load, figures dropped). */
    warmup: { type: 'string' },
    connections: { type: 'string', default: '50' },
    workloads: { type: 'string', default: 'demo,inbox' },
    gateways: { type: 'string', default: GATEWAYS.join(',') },
    /** The gateway's CPU, then everyone else's; `none` pins nothing. */
    cpus: { type: 'string', default: '0,1' },
    /** `off`: Hive Gateway does not share identical in-flight subgraph requests (on by default). */
    'hive-dedupe': { type: 'string', default: 'on' },
    /**
     * Node options of every gateway process, the same for all three: a larger young generation,
     * as the gateway ships (Dockerfile), since a gateway allocates a lot of short-lived JSON.
     */
    'node-flags': { type: 'string', default: '--max-semi-space-size=64' },
    'pg-port': { type: 'string', default: '54352' },
    data: { type: 'string', default: '.data/bench/gateway' },
  },
});

const root = fileURLToPath(new URL('../..', import.meta.url));
process.chdir(root);
const seconds = Number(values.duration ?? (values.quick ? 5 : 20));
const warmup = Number(values.warmup ?? (values.quick ? 2 : 5));
const connections = Number(values.connections);
const workloads = values.workloads.split(',').filter(Boolean);
const gateways = values.gateways.split(',').filter(Boolean) as GatewayName[];
for (const w of workloads) if (!['demo', 'inbox'].includes(w)) usage(`unknown workload "${w}"`);
for (const g of gateways) if (!GATEWAYS.includes(g)) usage(`unknown gateway "${g}"`);
if (!(seconds > 0) || !(warmup >= 0) || !(connections > 0))
  usage('bad --duration/--warmup/--connections');
if (!['on', 'off'].includes(values['hive-dedupe'])) usage('--hive-dedupe is on or off');
const hiveDedupe = values['hive-dedupe'] === 'on';
const dataDir = path.resolve(values.data);
const log = createLogger('bench', 'warn');
const secret = 'bench:gateway internal identity secret, not used for anything else';
const devKeyPath = path.resolve('.data/auth/dev-signing-key.json');

// Pinning: the gateway alone on one CPU, the rest of the bench on another.
const { pinned, gatewayCpu, restCpu, describe: describePinning } = pinFromFlag(values.cpus);

console.log(
  `gateway benchmark: node ${process.version}, ${os.cpus()[0]?.model ?? '?'} ` +
    `(${os.cpus().length} CPUs), ${os.type()} ${os.release()}, ${Math.round(os.totalmem() / 2 ** 30)} GB`,
);
console.log(describePinning('subgraphs, PostgreSQL, autocannon'));
ensurePeers(root);
console.log(`node options of every gateway: ${values['node-flags'] || '(none)'}`);
console.log(
  `versions: ours (dist/gateway/main.js), @apollo/gateway ${versionOf(root, '.', '@apollo/gateway')} ` +
    `+ @apollo/server ${versionOf(root, '.', '@apollo/server')}, @graphql-hive/gateway ` +
    `${versionOf(root, 'bench/peers', '@graphql-hive/gateway')}, autocannon ${versionOf(root, 'bench/peers', 'autocannon')}`,
);
console.log(
  `load: autocannon, ${connections} connections, ${warmup} s warm-up + ${seconds} s measured ` +
    `per gateway, over loopback; Hive Gateway's sharing of identical in-flight subgraph ` +
    `requests ${hiveDedupe ? 'on (its default)' : 'off (--hive-dedupe off)'}`,
);
console.log(
  'columns: mismatched = answers not byte-identical to the checked one; fetches/op = requests ' +
    'the subgraphs received per gateway request; gw CPU % = the gateway process (100 = one ' +
    'CPU); CPUn % = how busy that CPU was, whatever ran on it (this machine may run other work)',
);

// Whatever ends the run, nothing it started outlives it.
let current: RunningGateway | undefined;
let workload: Workload | undefined;
let pg: BenchServer | undefined;
const cleanup = async () => {
  await current?.close();
  await workload?.close();
  await pg?.stop();
};
onShutdown(log, [cleanup], { timeoutMs: 30_000 });

let failed = false;
try {
  await mkdir(dataDir, { recursive: true });
  for (const name of workloads) {
    console.log('');
    if (name === 'demo') {
      workload = await startDemo(dataDir);
    } else {
      if (!pg) {
        pg = await startBenchServer(path.join(dataDir, 'pg'), Number(values['pg-port']), log);
        // startBenchServer set its own signal handlers; ours stop the gateway first.
        onShutdown(log, [cleanup], { timeoutMs: 30_000 });
      }
      console.log('inbox: starting the subgraphs, sending messages, waiting for publishing…');
      workload = await startInbox({ server: pg, dataDir, secret, devKeyPath, log });
    }
    console.log(`${workload.name}: ${workload.description}`);
    const results = await measure(workload);
    printTable(workload.name, results);
    await workload.close();
    workload = undefined;
  }
} catch (err) {
  failed = true;
  console.error(`\nbench failed: ${(err as Error).stack ?? String(err)}`);
} finally {
  await cleanup();
}
process.exit(failed ? 1 : 0);

interface Result {
  gateway: GatewayName;
  figures?: LoadFigures;
  /** Subgraph requests per gateway request, while measured. */
  fetchesPerRequest?: number;
  /**
   * Percent of one CPU while measured: the gateway process's own use, and how busy the gateway's
   * CPU and the rest's CPU were (every process on them, this machine's other work included).
   */
  cpu?: { process?: number | undefined; gateway?: number | undefined; rest?: number | undefined };
  problem?: string;
}

/** Each gateway in turn: start, check its answer, warm up, measure, stop. */
async function measure(w: Workload): Promise<Result[]> {
  const bodyFile = path.join(dataDir, `${w.name}.body.json`);
  await writeFile(bodyFile, w.body);
  const results: Result[] = [];
  let reference: { gateway: GatewayName; data: unknown } | undefined;
  for (const gateway of gateways) {
    const port = await freePort();
    current = await startGateway(gateway, {
      supergraphPath: w.supergraphPath,
      subgraphUrls: w.subgraphUrls,
      port,
      cpu: gatewayCpu,
      root,
      secret,
      devKeyPath,
      hiveDedupe,
      nodeFlags: values['node-flags'].split(' ').filter(Boolean),
    });
    try {
      const headers = await w.headers(gateway);
      const sample = await post(current.url, w.body, headers);
      const problem = sample.problem ?? w.check(sample.data);
      if (problem) {
        console.error(
          `  ERROR ${gateway}: ${problem}; not measured. Answer: ${sample.text.slice(0, 500)}`,
        );
        results.push({ gateway, problem });
        continue;
      }
      if (!reference) {
        reference = { gateway, data: sample.data };
      } else if (!isDeepStrictEqual(sample.data, reference.data)) {
        console.warn(
          `  WARNING ${gateway}: its data differs from ${reference.gateway}'s ` +
            `(first at ${firstDifference(sample.data, reference.data) ?? '?'})`,
        );
      }
      const load = {
        url: current.url,
        bodyFile,
        headers,
        connections,
        // Any answer not byte-identical to the checked one counts as mismatched.
        expectBody: sample.text,
        root,
        cpu: restCpu,
      };
      process.stdout.write(`  ${gateway}: warm-up ${warmup} s, `);
      if (warmup > 0) await autocannon({ ...load, seconds: warmup });
      process.stdout.write(`measuring ${seconds} s… `);
      const pid = current.process.child.pid;
      const before = { cpus: cpuTimes(), gateway: processCpuSeconds(pid), fetches: w.fetches() };
      const figures = await autocannon({ ...load, seconds });
      const after = { cpus: cpuTimes(), gateway: processCpuSeconds(pid), fetches: w.fetches() };
      console.log(`${Math.round(figures.requestsPerSecond)} req/s`);
      results.push({
        gateway,
        figures,
        fetchesPerRequest: (after.fetches - before.fetches) / Math.max(1, figures.requests),
        cpu: {
          process:
            before.gateway === undefined || after.gateway === undefined
              ? undefined
              : (100 * (after.gateway - before.gateway)) / seconds,
          gateway: pinned ? busyPercent(before.cpus, after.cpus, gatewayCpu!) : undefined,
          rest: pinned ? busyPercent(before.cpus, after.cpus, restCpu!) : undefined,
        },
      });
    } finally {
      await current.close();
      current = undefined;
    }
  }
  return results;
}

/** One request, as autocannon will send it: the raw answer, its data, or what is wrong with it. */
async function post(url: string, body: string, headers: Record<string, string>) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await res.text();
  let parsed: { data?: unknown; errors?: Array<{ message?: string }> } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    return { text, data: undefined, problem: `HTTP ${res.status}, not JSON` };
  }
  const problem = !res.ok
    ? `HTTP ${res.status}`
    : parsed.errors?.length
      ? `GraphQL errors: ${parsed.errors.map((e) => e.message).join('; ')}`
      : undefined;
  return { text, data: parsed.data, problem };
}

/** The path of the first place where `a` and `b` differ. */
function firstDifference(a: unknown, b: unknown, at = 'data'): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return at;
  if (Array.isArray(a) !== Array.isArray(b)) return at;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const d = firstDifference(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      Array.isArray(a) ? `${at}[${key}]` : `${at}.${key}`,
    );
    if (d) return d;
  }
  return at;
}

function printTable(name: string, results: Result[]): void {
  const cpuHeads = ['gw CPU %', ...(pinned ? [`CPU${gatewayCpu} %`, `CPU${restCpu} %`] : [])];
  const rows = [
    [
      'gateway',
      'req/s',
      'p50 ms',
      'p99 ms',
      'errors/non-2xx',
      'mismatched',
      'fetches/op',
      ...cpuHeads,
    ],
    ...results.map((r) => {
      const f = r.figures;
      if (!f) return [r.gateway, 'failed', '', '', '', '', '', ...cpuHeads.map(() => '')];
      return [
        r.gateway,
        f.requestsPerSecond.toFixed(0),
        f.p50.toFixed(1),
        f.p99.toFixed(1),
        `${f.errors + f.timeouts}/${f.non2xx}`,
        String(f.mismatches),
        r.fetchesPerRequest?.toFixed(1) ?? '?',
        pct(r.cpu?.process),
        ...(pinned ? [pct(r.cpu?.gateway), pct(r.cpu?.rest)] : []),
      ];
    }),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  console.log(`\n${name} (${connections} connections, ${seconds} s):`);
  for (const [i, row] of rows.entries()) {
    console.log(
      row
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
        .join(' | '),
    );
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  }
  const ours = results.find((r) => r.gateway === 'ours')?.figures;
  for (const other of ['apollo', 'hive'] as const) {
    const them = results.find((r) => r.gateway === other)?.figures;
    if (!ours || !them) continue;
    console.log(
      `ours/${other}: req/s ${ratio(ours.requestsPerSecond, them.requestsPerSecond)}, ` +
        `p50 ${ratio(ours.p50, them.p50)}, p99 ${ratio(ours.p99, them.p99)}`,
    );
  }
}

function ratio(a: number, b: number): string {
  return b > 0 ? `${(a / b).toFixed(2)}×` : '–';
}

function pct(v: number | undefined): string {
  return v === undefined ? '?' : v.toFixed(0);
}

function usage(message: string): never {
  console.error(
    `${message}\nflags: --quick --duration S --warmup S --connections N --workloads demo,inbox --gateways ours,apollo,hive --cpus 0,1|none --hive-dedupe on|off`,
  );
  process.exit(2);
}
