/** Latency figures of one workload, in milliseconds, and how many operations per second it did. */
export interface Figures {
  name: string;
  n: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
  /** Operations per second over the measured wall time. */
  rate: number;
  errors: number;
  /** Anything else worth a column (e.g. events sent vs received). */
  note?: string;
}

export function figures(
  name: string,
  times: number[],
  wallMs: number,
  errors = 0,
  note?: string,
): Figures {
  const sorted = [...times].sort((a, b) => a - b);
  const q = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
  return {
    name,
    n: sorted.length,
    p50: q(0.5),
    p99: q(0.99),
    mean: sorted.reduce((s, t) => s + t, 0) / Math.max(1, sorted.length),
    max: sorted.at(-1) ?? NaN,
    rate: sorted.length / (wallMs / 1000),
    errors,
    note,
  };
}

export interface ClosedLoopOptions {
  /** Operations in flight at once. */
  concurrency: number;
  /** Stop after this many measured operations… */
  requests?: number;
  /** …or after this long, whichever comes first. */
  durationMs?: number;
  /** Operations run (not measured) before the clock starts, to warm caches and connections. */
  warmup?: number;
}

/**
 * Runs `op` from `concurrency` workers, each starting its next operation when the last ends
 * (a closed loop, as a client pool would). `prepare` runs outside the timing (signing a token).
 * A thrown error counts as an error and is not timed.
 */
export async function closedLoop<P>(
  name: string,
  prepare: (i: number) => Promise<P> | P,
  op: (prepared: P) => Promise<void>,
  o: ClosedLoopOptions,
): Promise<Figures> {
  let next = 0;
  for (let i = 0; i < (o.warmup ?? 0); i++) await op(await prepare(next++));
  const times: number[] = [];
  let errors = 0;
  let firstError: unknown;
  const began = performance.now();
  const deadline = o.durationMs === undefined ? Infinity : began + o.durationMs;
  const limit = o.requests ?? Infinity;
  let started = 0;
  const worker = async () => {
    while (started < limit && performance.now() < deadline) {
      started++;
      const p = await prepare(next++);
      const t = performance.now();
      try {
        await op(p);
        times.push(performance.now() - t);
      } catch (err) {
        errors++;
        firstError ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const wall = performance.now() - began;
  if (firstError) console.warn(`  ${name}: ${errors} errors, first: ${String(firstError)}`);
  return figures(name, times, wall, errors);
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-').padStart(8);

export const HEADER =
  `  ${'workload'.padEnd(40)} ${'n'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ` +
  `${'mean ms'.padStart(8)} ${'max ms'.padStart(8)} ${'ops/s'.padStart(8)}  notes`;

export function formatRow(r: Figures): string {
  const notes = [r.errors ? `${r.errors} errors` : '', r.note ?? ''].filter(Boolean).join('; ');
  return (
    `  ${r.name.padEnd(40)} ${String(r.n).padStart(7)} ${ms(r.p50)} ${ms(r.p99)} ${ms(r.mean)} ` +
    `${ms(r.max)} ${r.rate.toFixed(0).padStart(8)}  ${notes}`
  );
}
