/**
 * The load generator of `npm run bench:gateway`, a process of its own:
 *
 *   node dist/bench/gateway/loader.js SPEC.json
 *
 * Opens `connections` keep-alive HTTP/1.1 connections (one undici Client each) and gives
 * connection `i` request `i % requests.length`, so that each connection can be a different
 * caller asking for different data (autocannon sends one request, or one fixed sequence, on every
 * connection). Closed loop by default (each connection sends its next request when the answer is
 * in); with `rate`, open loop: requests are due at a fixed overall rate, and a request's latency
 * counts from when it was due, so that a gateway that falls behind is not flattered. Every answer
 * is compared byte for byte with the request's expected body. Prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { createHistogram } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'undici';

export interface LoaderSpec {
  url: string;
  connections: number;
  seconds: number;
  /** Requests per second over all connections; unset: as fast as answered. */
  rate?: number | undefined;
  requests: Array<{ body: string; headers: Record<string, string>; expect?: string | undefined }>;
}

export interface LoaderResult {
  requests: number;
  requestsPerSecond: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
}

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoaderSpec;
const url = new URL(spec.url);
const histogram = createHistogram();
const totals = { requests: 0, errors: 0, timeouts: 0, non2xx: 0, mismatches: 0 };
const started = performance.now();
const deadline = started + spec.seconds * 1000;
/** Seconds between two requests of one connection, at the fixed rate. */
const interval = spec.rate ? spec.connections / spec.rate : 0;

async function connection(i: number): Promise<void> {
  const request = spec.requests[i % spec.requests.length]!;
  const headers = { 'content-type': 'application/json', ...request.headers };
  const client = new Client(url.origin, { headersTimeout: 10_000, bodyTimeout: 10_000 });
  // Spread the first requests over one interval, so that the rate is even from the start.
  let due = started + (interval * 1000 * i) / spec.connections;
  try {
    for (;;) {
      if (interval) {
        if (due >= deadline) return;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
      }
      const from = interval ? due : performance.now();
      if (from >= deadline) return;
      due += interval * 1000;
      try {
        const res = await client.request({
          path: url.pathname,
          method: 'POST',
          headers,
          body: request.body,
        });
        const text = await res.body.text();
        const end = performance.now();
        if (end > deadline) return;
        totals.requests++;
        histogram.record(Math.max(1, Math.round((end - from) * 1000)));
        if (res.statusCode < 200 || res.statusCode >= 300) totals.non2xx++;
        else if (request.expect !== undefined && text !== request.expect) totals.mismatches++;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
          totals.timeouts++;
        else totals.errors++;
        await sleep(10);
      }
    }
  } finally {
    await client.close().catch(() => undefined);
  }
}

await Promise.all(Array.from({ length: spec.connections }, (_, i) => connection(i)));
const result: LoaderResult = {
  ...totals,
  requestsPerSecond: totals.requests / spec.seconds,
  p50: totals.requests ? histogram.percentile(50) / 1000 : 0,
  p99: totals.requests ? histogram.percentile(99) / 1000 : 0,
};
console.log(JSON.stringify(result));
