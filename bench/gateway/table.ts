import type { LoaderResult } from './loader.js';
import type { GatewayName } from './workload.js';

/** One gateway (with its sharing setting) on one workload. */
export interface Result {
  gateway: GatewayName;
  /** Sharing of identical fetches across requests: ours' GATEWAY_SHARE_FETCHES, Hive's dedupe. */
  sharing: 'on' | 'off' | 'none';
  /** As fast as it answers (closed loop). */
  max?: LoaderResult & {
    /** The gateway process's CPU, in CPUs (1 = one CPU busy all the time). */
    cpu: number | undefined;
    fetchesPerRequest: number;
    /** How busy the rest's CPU was (subgraphs, PostgreSQL, load), percent. */
    restBusy: number | undefined;
  };
  /** At the fixed offered rate. */
  fixed?: LoaderResult & { cpuUsPerRequest: number | undefined };
  /** Peak resident memory of the gateway, MiB. */
  rssPeak?: number | undefined;
  note?: string | undefined;
  problem?: string;
}

const label = (r: Result) => (r.gateway === 'hive-router' ? 'hive (router runtime)' : r.gateway);
const perCpu = (r: Result) => (r.max?.cpu ? r.max.requestsPerSecond / r.max.cpu : undefined);
const f = (v: number | undefined, digits = 0) => (v === undefined ? '?' : v.toFixed(digits));

/** Prints a workload's results as a markdown table, the ratios and the targets. */
export function printTable(
  workload: string,
  results: Result[],
  o: { connections: number; seconds: number; rate: number; pinned: boolean },
): void {
  const head = [
    'gateway',
    'sharing',
    'req/s',
    'gw CPU',
    'req/s per CPU',
    'p50 ms',
    'p99 ms',
    'fetches/req',
    `CPU-µs/req @${o.rate}/s`,
    `p50 @${o.rate}/s`,
    `p99 @${o.rate}/s`,
    'RSS MiB',
    'bad answers',
    ...(o.pinned ? ['rest CPU %'] : []),
  ];
  const rows = results.map((r) => {
    const m = r.max;
    const x = r.fixed;
    if (!m) return [label(r), r.sharing, 'failed', ...head.slice(3).map(() => '')];
    const bad = [m, x].reduce(
      (n, l) => n + (l ? l.errors + l.timeouts + l.non2xx + l.mismatches : 0),
      0,
    );
    return [
      label(r),
      r.sharing === 'on' ? 'on †' : r.sharing,
      f(m.requestsPerSecond),
      f(m.cpu, 2),
      f(perCpu(r)),
      f(m.p50, 1),
      f(m.p99, 1),
      f(m.fetchesPerRequest, 2),
      f(x?.cpuUsPerRequest),
      f(x?.p50, 1),
      f(x?.p99, 1),
      f(r.rssPeak),
      String(bad),
      ...(o.pinned ? [f(m.restBusy)] : []),
    ];
  });
  console.log(
    `\n**${workload}** (${o.connections} connections, ${o.seconds} s as fast as answered; then ` +
      `${o.rate} req/s offered):\n`,
  );
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  if (results.some((r) => r.sharing === 'on')) {
    console.log(
      '\n† sharing on: identical subgraph fetches of concurrent requests (ours: of the same ' +
        'caller) are sent once and shared, which helps when many requests ask the same; the ' +
        "fetches/req column shows how much. Compare the gateways' sharing-off rows.",
    );
  }
  for (const r of results)
    if (r.note) console.log(`- ${label(r)}, sharing ${r.sharing}: ${r.note}`);
  for (const r of results) if (r.problem) console.log(`- ${label(r)}: ${r.problem}`);
  printRatios(workload, results);
}

function printRatios(workload: string, results: Result[]): void {
  const ours = results.find((r) => r.gateway === 'ours' && r.sharing === 'off' && r.max);
  if (!ours) return;
  console.log('');
  for (const them of results) {
    if (them.gateway === 'ours' || !them.max) continue;
    const a = perCpu(ours);
    const b = perCpu(them);
    console.log(
      `- ours (sharing off) / ${label(them)} (sharing ${them.sharing}): req/s per CPU ` +
        `${ratio(a, b)}, req/s ${ratio(ours.max!.requestsPerSecond, them.max.requestsPerSecond)}, ` +
        `CPU per request ${ratio(them.fixed?.cpuUsPerRequest, ours.fixed?.cpuUsPerRequest)} less, ` +
        `p99 ${f(ours.max!.p99, 1)} vs ${f(them.max.p99, 1)} ms (at the fixed rate ` +
        `${f(ours.fixed?.p99, 1)} vs ${f(them.fixed?.p99, 1)} ms)`,
    );
  }
  const apollo = results.find((r) => r.gateway === 'apollo');
  const router = results.find((r) => r.gateway === 'hive-router');
  const target = (what: string, value: number | undefined, goal: number) =>
    console.log(
      `- target: ${what} ≥ ${goal}×: ${value === undefined ? '?' : `${value.toFixed(1)}×`} ` +
        `(${value !== undefined && value >= goal ? 'met' : 'not met'})`,
    );
  const per = (r: Result | undefined) => (r ? perCpu(r) : undefined);
  const over = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b ? a / b : undefined;
  if (workload === 'demo') {
    target('ours/apollo req/s per CPU, sharing off', over(per(ours), per(apollo)), 10);
    target(
      'ours/hive (router runtime) req/s per CPU, sharing off',
      over(per(ours), per(router)),
      2,
    );
  }
  if (workload.startsWith('callers')) {
    target('ours/apollo req/s per CPU', over(per(ours), per(apollo)), 8);
    const peers = results.filter((r) => r.gateway !== 'ours' && r.max);
    const ahead = (p: (r: Result) => number | undefined) =>
      peers.every((r) => (p(ours) ?? Infinity) < (p(r) ?? Infinity));
    console.log(
      `- target: ahead of every peer on p99: as fast as answered ${ahead((r) => r.max?.p99) ? 'met' : 'not met'}, ` +
        `at the fixed rate ${ahead((r) => r.fixed?.p99) ? 'met' : 'not met'}`,
    );
  }
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a !== undefined && b ? `${(a / b).toFixed(2)}×` : '–';
}
