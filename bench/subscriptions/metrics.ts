import { readdirSync, readFileSync } from 'node:fs';

/** The gateway's subscription metrics at one moment (GET /metrics). */
export interface GatewaySample {
  active: number;
  connections: number;
  events: number;
  /** dpv_gateway_subscription_delivery_seconds: cumulative count per upper bound (s). */
  buckets: Array<{ le: number; count: number }>;
  sum: number;
  count: number;
}

/**
 * Reads the dpv_gateway_subscription* figures of the gateway's Prometheus text; undefined when
 * the gateway does not answer (e.g. out of file descriptors: then it accepts no connection).
 */
export async function sampleGateway(baseUrl: string): Promise<GatewaySample | undefined> {
  let text: string;
  try {
    const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(30_000) });
    text = await res.text();
    if (!res.ok) return undefined;
  } catch {
    return undefined;
  }
  const sample: GatewaySample = {
    active: 0,
    connections: 0,
    events: 0,
    buckets: [],
    sum: 0,
    count: 0,
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^(\w+)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const [, name, labels, raw] = m;
    const value = Number(raw);
    switch (name) {
      case 'dpv_gateway_subscriptions_active':
        sample.active = value;
        break;
      case 'dpv_gateway_websocket_connections':
        sample.connections = value;
        break;
      case 'dpv_gateway_subscription_events_total':
        sample.events = value;
        break;
      case 'dpv_gateway_subscription_delivery_seconds_bucket': {
        const le = /le="([^"]+)"/.exec(labels ?? '')?.[1];
        if (le) sample.buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: value });
        break;
      }
      case 'dpv_gateway_subscription_delivery_seconds_sum':
        sample.sum = value;
        break;
      case 'dpv_gateway_subscription_delivery_seconds_count':
        sample.count = value;
        break;
    }
  }
  sample.buckets.sort((a, b) => a.le - b.le);
  return sample;
}

export interface DeliverySummary {
  events: number;
  /** ms, Δsum/Δcount. */
  mean: number;
  /** Upper bound (ms) of the bucket holding the quantile; Infinity past the last bound. */
  p50: number;
  p99: number;
}

/**
 * The gateway's own delivery latency (event from the subgraph → handed to the client) between
 * two samples, with quantiles as histogram bucket bounds.
 */
export function deliveryBetween(
  before: GatewaySample | undefined,
  after: GatewaySample | undefined,
): DeliverySummary {
  if (!before || !after) return { events: NaN, mean: NaN, p50: NaN, p99: NaN };
  const count = after.count - before.count;
  const buckets = after.buckets.map((b, i) => ({
    le: b.le,
    count: b.count - (before.buckets[i]?.count ?? 0),
  }));
  const quantile = (q: number) =>
    count === 0 ? NaN : (buckets.find((b) => b.count >= q * count)?.le ?? Infinity) * 1000;
  return {
    events: after.events - before.events,
    mean: count === 0 ? NaN : ((after.sum - before.sum) / count) * 1000,
    p50: quantile(0.5),
    p99: quantile(0.99),
  };
}

/** Resident set size of a process, MB (VmRSS of /proc/<pid>/status). */
export function rssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Open file descriptors of a process, and its soft and hard RLIMIT_NOFILE. */
export function descriptors(
  pid: number | undefined,
): { open: number; soft: number; hard: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const open = readdirSync(`/proc/${pid}/fd`).length;
    const m = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(
      readFileSync(`/proc/${pid}/limits`, 'utf8'),
    );
    const n = (s: string | undefined) => (s === 'unlimited' || !s ? Infinity : Number(s));
    return { open, soft: n(m?.[1]), hard: n(m?.[2]) };
  } catch {
    return undefined;
  }
}

/** `pid` and its children (PostgreSQL's postmaster and its backends): whose /proc/N/stat names it. */
function tree(pid: number): number[] {
  const pids = [pid];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) pids.push(Number(name));
    } catch {
      // It ended meanwhile.
    }
  }
  return pids;
}

/**
 * CPU seconds (user + system) of `pid` and its live children, and their resident memory in MB
 * (each backend's RSS counts the shared buffers it touched, so the sum overstates PostgreSQL's).
 */
export function treeUsage(pid: number | undefined): { cpu: number; rss: number } | undefined {
  if (pid === undefined) return undefined;
  let cpu = 0;
  let rss = 0;
  for (const p of tree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu += (Number(fields[11]) + Number(fields[12])) / 100;
      rss += (Number(fields[21]) * 4096) / 2 ** 20;
    } catch {
      // It ended meanwhile.
    }
  }
  return { cpu, rss };
}
