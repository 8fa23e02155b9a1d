import os from 'node:os';
import { busyPercent, type cpuTimes } from '../gateway/processes.js';
import { figures } from '../meldingsboks/stats.js';
import { deliveryBetween, type GatewaySample } from './metrics.js';
import type { Collected } from './protocol.js';
import type { PacedResult } from './publish.js';

/** What the run measures of its processes at the start and the end of a phase. */
export interface Snapshot {
  rss: number | undefined;
  gateway: number | undefined;
  subgraphs: number | undefined;
  clients: number | undefined;
  /** PostgreSQL: its postmaster and backends. */
  pg: number | undefined;
  /** Resident memory (MB) of the subgraphs' process, the clients' processes and PostgreSQL. */
  rssSubgraphs: number | undefined;
  rssClients: number | undefined;
  rssPg: number | undefined;
  cpus: ReturnType<typeof cpuTimes>;
}

/** One phase (one publishing rate) of the run, as the tables print it. */
export interface Row {
  rate: number;
  /** What the tables call the phase (the rate, or the burst). */
  label?: string;
  /** The machine's 1-minute load average at the end of the phase (other work on it included). */
  load: number;
  /** Subscriptions open at the gateway before and after the phase. */
  activeBefore: number | undefined;
  activeAfter: number | undefined;
  sentRate: number;
  subscribers: number;
  expected: number;
  delivered: number;
  lost: number;
  duplicates: number;
  unexpected: number;
  missingNavn: number;
  errors: number;
  firstError?: string | undefined;
  drops: Record<string, number>;
  latency: { p50: number; p99: number; max: number };
  drainMs: number;
  rssBefore: number | undefined;
  rssAfter: number | undefined;
  cpu: Record<'gateway' | 'cpu0' | 'cpu1' | 'subgraphs' | 'clients' | 'pg', number | undefined>;
  rss: Record<'subgraphs' | 'clients' | 'pg', number | undefined>;
  gw: ReturnType<typeof deliveryBetween>;
  failedPublishes: number;
  firstFailure?: string | undefined;
  maxInFlight: number;
}

/** A phase's row: the subscriber processes' counts added up, and CPU and memory over it. */
export function summarize(o: {
  rate: number;
  label?: string;
  paced: PacedResult;
  parts: Collected[];
  subscribers: number;
  drainMs: number;
  before: Snapshot;
  after: Snapshot;
  elapsed: number;
  beforeMetrics: GatewaySample | undefined;
  afterMetrics: GatewaySample | undefined;
  /** The gateway's CPU and everyone else's, when pinned. */
  pinnedCpus: { gateway: number; rest: number } | undefined;
}): Row {
  const add = (
    k: 'expected' | 'delivered' | 'lost' | 'duplicates' | 'unexpected' | 'missingNavn' | 'errors',
  ) => o.parts.reduce((n, p) => n + p[k], 0);
  const times = o.parts.flatMap((p) => Array.from(p.latencies));
  const f = figures('', times, o.elapsed * 1000);
  const pct = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : (100 * (b - a)) / o.elapsed;
  const drops: Record<string, number> = {};
  for (const p of o.parts)
    for (const [k, n] of Object.entries(p.drops)) drops[k] = (drops[k] ?? 0) + n;
  return {
    rate: o.rate,
    ...(o.label ? { label: o.label } : {}),
    load: os.loadavg()[0]!,
    activeBefore: o.beforeMetrics?.active,
    activeAfter: o.afterMetrics?.active,
    sentRate: o.paced.published.ids.length / (o.paced.wallMs / 1000),
    subscribers: o.subscribers,
    expected: add('expected'),
    delivered: add('delivered'),
    lost: add('lost'),
    duplicates: add('duplicates'),
    unexpected: add('unexpected'),
    missingNavn: add('missingNavn'),
    errors: add('errors'),
    firstError: o.parts.find((p) => p.firstError)?.firstError,
    drops,
    latency: { p50: f.p50, p99: f.p99, max: f.max },
    drainMs: o.drainMs,
    rssBefore: o.before.rss,
    rssAfter: o.after.rss,
    cpu: {
      gateway: pct(o.before.gateway, o.after.gateway),
      cpu0: o.pinnedCpus
        ? busyPercent(o.before.cpus, o.after.cpus, o.pinnedCpus.gateway)
        : undefined,
      cpu1: o.pinnedCpus ? busyPercent(o.before.cpus, o.after.cpus, o.pinnedCpus.rest) : undefined,
      subgraphs: pct(o.before.subgraphs, o.after.subgraphs),
      clients: pct(o.before.clients, o.after.clients),
      pg: pct(o.before.pg, o.after.pg),
    },
    rss: { subgraphs: o.after.rssSubgraphs, clients: o.after.rssClients, pg: o.after.rssPg },
    gw: deliveryBetween(o.beforeMetrics, o.afterMetrics),
    failedPublishes: o.paced.failed,
    firstFailure: o.paced.firstFailure,
    maxInFlight: o.paced.maxInFlight,
  };
}

/** What the report says of the run besides its rows. */
export interface RunSummary {
  /** Subscribers live through the phases, and how many were asked for. */
  subscribers: number;
  asked: number;
  /** Why the ramp stopped early, if it did. */
  stoppedAt: string | undefined;
  inboxes: number;
  firms: number;
  seconds: number;
  /** The gateway's metrics at the end. */
  final: GatewaySample | undefined;
}

/** Prints the run's heading, its two tables (deliveries; resources), and each phase's troubles. */
export function printReport(run: RunSummary, rows: Row[]): void {
  const { final } = run;
  console.log(
    `\nfederated subscriptions through our gateway: ${run.subscribers} subscribers` +
      (run.subscribers < run.asked
        ? ` (asked ${run.asked}${run.stoppedAt ? `; the ramp stopped: ${run.stoppedAt}` : '; capped, see above'})`
        : '') +
      `, ${run.inboxes} inboxes + ${run.firms} firms, ${run.seconds} s per rate`,
  );
  console.log(
    'latency: commit acknowledged to the publisher → event parsed by the subscriber (both epoch ' +
      'clocks of this machine); lost = expected − delivered after the drain; CPU % of one CPU ' +
      'over publishing + drain (pg: postmaster and backends; RSS of the backends summed, shared ' +
      'buffers counted in each); load: 1-minute load average at the end (the machine is shared)',
  );
  printTable(
    [
      'rate/s',
      'sent/s',
      'subs',
      'expected',
      'delivered',
      'lost',
      'dup',
      'p50 ms',
      'p99 ms',
      'max ms',
      'drain s',
      'subs after',
      'load',
    ],
    rows.map((r) => [
      name(r),
      fmt(r.sentRate, 0),
      String(r.subscribers),
      String(r.expected),
      String(r.delivered),
      String(r.lost),
      String(r.duplicates),
      fmt(r.latency.p50, 1),
      fmt(r.latency.p99, 1),
      fmt(r.latency.max, 1),
      fmt(r.drainMs / 1000, 1),
      fmt(r.activeAfter, 0),
      fmt(r.load, 1),
    ]),
  );
  console.log('');
  printTable(
    [
      'rate/s',
      'gw RSS MB',
      'gw CPU %',
      'CPU0 %',
      'CPU1 %',
      'subgraphs %',
      'pg %',
      'clients %',
      'RSS MB subgraphs/pg/clients',
      'gw events',
      'gw delivery mean/p50/p99 ms',
    ],
    rows.map((r) => [
      name(r),
      `${fmt(r.rssBefore, 0)} → ${fmt(r.rssAfter, 0)}`,
      fmt(r.cpu.gateway, 0),
      fmt(r.cpu.cpu0, 0),
      fmt(r.cpu.cpu1, 0),
      fmt(r.cpu.subgraphs, 0),
      fmt(r.cpu.pg, 0),
      fmt(r.cpu.clients, 0),
      `${fmt(r.rss.subgraphs, 0)} / ${fmt(r.rss.pg, 0)} / ${fmt(r.rss.clients, 0)}`,
      fmt(r.gw.events, 0),
      `${fmt(r.gw.mean, 2)} / ≤${fmtBound(r.gw.p50)} / ≤${fmtBound(r.gw.p99)}`,
    ]),
  );
  console.log(
    `gw events / delivery: dpv_gateway_subscription_events_total and _delivery_seconds ` +
      `(subgraph event in → handed to the client; quantiles as bucket bounds) over each phase; ` +
      `at the end: events_total ${final?.events ?? '?'}, subscriptions_active ` +
      `${final?.active ?? '?'}, websocket_connections ${final?.connections ?? '?'}`,
  );
  const fine = rows.filter(
    (r) => !r.label && r.lost === 0 && r.duplicates === 0 && r.latency.p99 < 100,
  );
  const best = fine.sort((a, b) => b.sentRate - a.sentRate)[0];
  console.log(
    best
      ? `headline: highest publish rate with commit → client p99 < 100 ms, nothing lost or doubled: ` +
          `${fmt(best.sentRate, 0)}/s (asked ${best.rate}/s; p99 ${fmt(best.latency.p99, 1)} ms)`
      : 'headline: no rate of this run kept p99 under 100 ms with nothing lost or doubled',
  );
  for (const r of rows) {
    const extra = [
      r.failedPublishes ? `${r.failedPublishes} publishes failed (${r.firstFailure})` : '',
      r.unexpected ? `${r.unexpected} events to the wrong subscriber` : '',
      r.missingNavn ? `${r.missingNavn} events without sender/recipient navn` : '',
      r.errors ? `${r.errors} results with errors (first: ${r.firstError})` : '',
      Object.keys(r.drops).length
        ? `closed/failed so far: ${Object.entries(r.drops)
            .map(([k, n]) => `${n}× ${k}`)
            .join('; ')}`
        : '',
      r.maxInFlight > 20 ? `publisher had up to ${r.maxInFlight} transactions waiting` : '',
    ].filter(Boolean);
    if (extra.length) console.log(`  ${name(r)}: ${extra.join('; ')}`);
  }
}

/** A phase as the tables name it. */
function name(r: Row): string {
  return r.label ?? String(r.rate);
}

/** Columns padded to their widest cell: the first left-aligned, the rest right-aligned. */
function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

/** `n` to `digits` decimals, or – when unknown. */
export function fmt(n: number | undefined, digits: number): string {
  return n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits);
}

/** A histogram bucket bound in ms (the last bucket is open). */
function fmtBound(ms: number): string {
  return Number.isFinite(ms) ? String(Number(ms.toFixed(1))) : '>2500';
}

/** `ms` as seconds to one decimal. */
export function seconds1(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
