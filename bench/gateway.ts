/**
 * `npm run bench:gateway [-- --quick] [--duration 8] [--warmup 3] [--connections 50]
 * [--workloads demo,callers,callers-real,inbox] [--gateways ours,apollo,hive,hive-router]
 * [--share on,off] [--hive-dedupe off|on|on,off] [--rate 25] [--rate-duration 5] [--cpus 0,1|none]`
 *
 * Puts the gateways, one after another, in front of the same subgraphs and supergraph: ours
 * (`node dist/gateway/main.js`, with sharing of identical fetches across requests on and off),
 * stock Apollo Gateway (bench/gateway/apollo.ts), Hive Gateway (its CLI, installed in
 * bench/peers) and Hive Gateway with its Rust router runtime. Workloads:
 * - `demo`: the classic federation demo with the nested query of the public
 *   graphql-gateways-benchmark, anonymous (every request the same: sharing helps);
 * - `callers`: this graph's inbox, each connection a different enhet reading its own inbox with
 *   its own token (sharing cannot help), the subgraphs answering from stored answers recorded from
 *   the real ones, so that the gateway is the bottleneck;
 * - `callers-real`: the same against the real subgraphs and PostgreSQL;
 * - `inbox` (not by default): one caller's inbox on every connection, the best case for sharing.
 *
 * Each gateway's answers are checked and compared with the first gateway's; then it is loaded as
 * fast as it answers (bench/gateway/loader.ts, every answer compared byte for byte) and at a fixed
 * offered rate that every gateway can serve, where its CPU per request is measured. Prints
 * markdown tables, ratios and the targets; asserts nothing.
 *
 * With two CPUs or more, every gateway runs alone on the first CPU of --cpus and everything else
 * (this process with the subgraphs, PostgreSQL, the load generator) on the second.
 */
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { createLogger } from '../platform/runtime/logger.js';
import { onShutdown } from '../platform/runtime/shutdown.js';
import { startDemo } from './gateway/demo/index.js';
import { startDistinct } from './gateway/distinct.js';
import { drive } from './gateway/drive.js';
import { startGateway, type RunningGateway } from './gateway/gateways.js';
import { startInbox } from './gateway/inbox.js';
import { ensurePeers, versionOf } from './gateway/peers.js';
import {
  busyPercent,
  cpuTimes,
  freePort,
  pinFromFlag,
  processCpuPrecise,
  processMemory,
} from './gateway/processes.js';
import { printTable, type Result } from './gateway/table.js';
import {
  GATEWAYS,
  type CallerRequest,
  type GatewayName,
  type Workload,
} from './gateway/workload.js';
import { startBenchServer, type BenchServer } from './meldingsboks/postgres.js';

const WORKLOADS = ['demo', 'callers', 'callers-real', 'inbox'];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    /** Measured seconds per gateway and workload, as fast as it answers. */
    duration: { type: 'string' },
    /** Warm-up seconds before each measured run (same load, figures dropped). */
    warmup: { type: 'string' },
    connections: { type: 'string', default: '50' },
    workloads: { type: 'string', default: 'demo,callers,callers-real' },
    gateways: { type: 'string', default: GATEWAYS.join(',') },
    /** Ours: sharing of identical fetches across requests (GATEWAY_SHARE_FETCHES), each run. */
    share: { type: 'string', default: 'on,off' },
    /** Hive Gateway (both runtimes): sharing of identical in-flight subgraph requests, each run. */
    'hive-dedupe': { type: 'string', default: 'off' },
    /** The fixed offered rate (requests/s over all connections) for CPU per request. */
    rate: { type: 'string', default: '25' },
    'rate-duration': { type: 'string' },
    /** The gateway's CPU, then everyone else's; `none` pins nothing. */
    cpus: { type: 'string', default: '0,1' },
    /**
     * Node options of every gateway process, the same for all: a larger young generation, as
     * the gateway ships (Dockerfile), since a gateway allocates a lot of short-lived JSON.
     */
    'node-flags': { type: 'string', default: '--max-semi-space-size=64' },
    /** Ours only, e.g. `--cpu-prof --cpu-prof-dir=.data/prof` to profile it under the load. */
    'ours-node-flags': { type: 'string', default: '' },
    'pg-port': { type: 'string', default: '54352' },
    data: { type: 'string', default: '.data/bench/gateway' },
  },
});

const root = fileURLToPath(new URL('../..', import.meta.url));
process.chdir(root);
const seconds = Number(values.duration ?? (values.quick ? 4 : 8));
const warmup = Number(values.warmup ?? (values.quick ? 2 : 3));
const rateSeconds = Number(values['rate-duration'] ?? (values.quick ? 3 : 5));
const rate = Number(values.rate);
const connections = Number(values.connections);
const workloads = values.workloads.split(',').filter(Boolean);
const gateways = values.gateways.split(',').filter(Boolean) as GatewayName[];
const onOff = (flag: string) => {
  const v = values[flag as 'share'].split(',').filter(Boolean);
  if (v.length === 0 || v.some((x) => x !== 'on' && x !== 'off'))
    usage(`--${flag} is on, off or on,off`);
  return v.map((x) => x === 'on');
};
const shares = onOff('share');
const dedupes = onOff('hive-dedupe');
for (const w of workloads) if (!WORKLOADS.includes(w)) usage(`unknown workload "${w}"`);
for (const g of gateways) if (!GATEWAYS.includes(g)) usage(`unknown gateway "${g}"`);
if (!(seconds > 0) || !(warmup >= 0) || !(connections > 0) || !(rate > 0) || !(rateSeconds > 0))
  usage('bad --duration/--warmup/--connections/--rate/--rate-duration');
const dataDir = path.resolve(values.data);
const log = createLogger('bench', 'warn');
const secret = 'bench:gateway internal identity secret, not used for anything else';
const devKeyPath = path.resolve('.data/auth/dev-signing-key.json');
const nodeFlags = values['node-flags'].split(' ').filter(Boolean);

// Pinning: the gateway alone on one CPU, the rest of the bench on another.
const { pinned, gatewayCpu, restCpu, describe: describePinning } = pinFromFlag(values.cpus);

console.log(
  `gateway benchmark: node ${process.version}, ${os.cpus()[0]?.model ?? '?'} ` +
    `(${os.cpus().length} CPUs), ${os.type()} ${os.release()}, ${Math.round(os.totalmem() / 2 ** 30)} GB`,
);
console.log(describePinning('subgraphs, PostgreSQL, the load generator'));
ensurePeers(root);
console.log(`node options of every gateway: ${values['node-flags'] || '(none)'}`);
console.log(
  `versions: ours (dist/gateway/main.js), @apollo/gateway ${versionOf(root, '.', '@apollo/gateway')} ` +
    `+ @apollo/server ${versionOf(root, '.', '@apollo/server')}, @graphql-hive/gateway ` +
    `${versionOf(root, 'bench/peers', '@graphql-hive/gateway')}, @graphql-hive/router-runtime ` +
    `${versionOf(root, 'bench/peers', '@graphql-hive/router-runtime')}`,
);
console.log(
  `load: bench/gateway/loader.ts (undici, one keep-alive connection each), ${connections} ` +
    `connections over loopback; per gateway ${warmup} s warm-up, ${seconds} s as fast as it ` +
    `answers, then ${rateSeconds} s at ${rate} req/s offered (latency counted from when each ` +
    'request was due)',
);
console.log(
  'columns: gw CPU = CPUs the gateway process used (1 = one CPU busy); req/s per CPU = req/s ÷ ' +
    'gw CPU; fetches/req = requests the subgraphs received per gateway request; CPU-µs/req = the ' +
    "gateway's CPU per request at the fixed rate; RSS = peak resident memory of the gateway; bad " +
    'answers = errors, timeouts, non-2xx and answers not byte-identical to the checked one',
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
    workload = await startWorkload(name);
    console.log(`${workload.name}: ${workload.description}`);
    const results = await measure(workload);
    printTable(workload.name, results, { connections, seconds, rate, pinned });
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

async function startWorkload(name: string): Promise<Workload> {
  if (name === 'demo') return startDemo(dataDir);
  if (!pg) {
    pg = await startBenchServer(path.join(dataDir, 'pg'), Number(values['pg-port']), log);
    // startBenchServer set its own signal handlers; ours stop the gateway first.
    onShutdown(log, [cleanup], { timeoutMs: 30_000 });
  }
  console.log(`${name}: starting the subgraphs, sending messages, waiting for publishing…`);
  const o = { server: pg, dataDir, secret, devKeyPath, log };
  if (name === 'inbox') return startInbox(o);
  return startDistinct({ ...o, stored: name === 'callers' });
}

/** The runs of a workload: ours with each sharing setting, the peers with theirs. */
function variants(w: Workload): Array<{ gateway: GatewayName; sharing: boolean | undefined }> {
  type Run = { gateway: GatewayName; sharing: boolean | undefined };
  return gateways.flatMap((gateway): Run[] => {
    if (gateway === 'apollo') return [{ gateway, sharing: undefined }];
    const settings = gateway === 'ours' ? shares : dedupes;
    // With distinct callers against the real subgraphs sharing cannot help: one run is enough.
    const asked = w.name === 'callers-real' && settings.includes(false) ? [false] : settings;
    return asked.map((sharing) => ({ gateway, sharing }));
  });
}

/** Each gateway in turn: start, check its answers, warm up, measure, measure at the rate, stop. */
async function measure(w: Workload): Promise<Result[]> {
  const results: Result[] = [];
  let reference: { gateway: GatewayName; data: unknown[] } | undefined;
  for (const { gateway, sharing } of variants(w)) {
    const result: Result = {
      gateway,
      sharing: sharing === undefined ? 'none' : sharing ? 'on' : 'off',
    };
    results.push(result);
    const port = await freePort();
    const ours = gateway === 'ours';
    current = await startGateway(gateway, {
      supergraphPath: w.supergraphPath,
      subgraphUrls: w.subgraphUrls,
      port,
      cpu: gatewayCpu,
      root,
      secret,
      devKeyPath,
      hiveDedupe: sharing ?? true,
      share: sharing,
      nodeFlags: [
        ...nodeFlags,
        ...(ours ? values['ours-node-flags'].split(' ').filter(Boolean) : []),
      ],
    });
    try {
      const requests: CallerRequest[] = w.callers
        ? await w.callers(gateway)
        : [{ body: w.body, headers: await w.headers(gateway) }];
      const expected: string[] = [];
      const data: unknown[] = [];
      for (const [i, request] of requests.entries()) {
        const sample = await post(current.url, request.body, request.headers);
        const problem = sample.problem ?? w.check(sample.data, i);
        if (problem) {
          result.problem = `${problem}; not measured. Answer: ${sample.text.slice(0, 300)}`;
          console.error(`  ERROR ${gateway}: ${result.problem}`);
          break;
        }
        expected.push(sample.text);
        data.push(sample.data);
      }
      if (result.problem) continue;
      if (!reference) {
        reference = { gateway, data };
      } else if (!isDeepStrictEqual(data, reference.data)) {
        const i = data.findIndex((d, n) => !isDeepStrictEqual(d, reference!.data[n]));
        console.warn(
          `  WARNING ${gateway}: its data differs from ${reference.gateway}'s (request ${i}, ` +
            `first at ${firstDifference(data[i], reference.data[i]) ?? '?'})`,
        );
      }
      const load = {
        url: current.url,
        connections,
        requests: requests.map((r, i) => ({ ...r, expect: expected[i] })),
        root,
        dataDir,
        cpu: restCpu,
      };
      process.stdout.write(`  ${gateway}, sharing ${result.sharing}: warm-up ${warmup} s, `);
      if (warmup > 0) await drive({ ...load, seconds: warmup });
      w.note?.();
      process.stdout.write(`measuring ${seconds} s… `);
      const pid = current.process.child.pid;
      const before = { cpus: cpuTimes(), gateway: processCpuPrecise(pid), fetches: w.fetches() };
      const max = await drive({ ...load, seconds });
      const after = { cpus: cpuTimes(), gateway: processCpuPrecise(pid), fetches: w.fetches() };
      result.note = w.note?.();
      process.stdout.write(`${Math.round(max.requestsPerSecond)} req/s; ${rate} req/s… `);
      const used = (a?: number, b?: number) =>
        a === undefined || b === undefined ? undefined : b - a;
      const busy = used(before.gateway, after.gateway);
      result.max = {
        ...max,
        cpu: busy === undefined ? undefined : busy / seconds,
        fetchesPerRequest: (after.fetches - before.fetches) / Math.max(1, max.requests),
        restBusy: pinned ? busyPercent(before.cpus, after.cpus, restCpu!) : undefined,
      };
      const from = processCpuPrecise(pid);
      const fixed = await drive({ ...load, seconds: rateSeconds, rate });
      const spent = used(from, processCpuPrecise(pid));
      result.fixed = {
        ...fixed,
        cpuUsPerRequest:
          spent === undefined || fixed.requests === 0 ? undefined : (spent * 1e6) / fixed.requests,
      };
      result.rssPeak = processMemory(pid)?.peak;
      console.log(`CPU ${result.fixed.cpuUsPerRequest?.toFixed(0) ?? '?'} µs/req`);
    } finally {
      await current.close();
      current = undefined;
    }
  }
  return results;
}

/** One request, as the load will send it: the raw answer, its data, or what is wrong with it. */
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

function usage(message: string): never {
  console.error(
    `${message}\nflags: --quick --duration S --warmup S --connections N ` +
      `--workloads ${WORKLOADS.join(',')} --gateways ${GATEWAYS.join(',')} --share on,off ` +
      '--hive-dedupe off|on|on,off --rate N --rate-duration S --cpus 0,1|none --node-flags "…" ' +
      '--ours-node-flags "…"',
  );
  process.exit(2);
}
