import { launch } from './processes.js';

export const AUTOCANNON = 'bench/peers/node_modules/autocannon/autocannon.js';

export interface LoadOptions {
  url: string;
  /** File holding the JSON request body. */
  bodyFile: string;
  headers: Record<string, string>;
  connections: number;
  seconds: number;
  /** Requests per second across all connections (autocannon's -R); unset: as fast as answered. */
  rate?: number | undefined;
  /** Responses that differ from this body count as mismatches. */
  expectBody?: string | undefined;
  root: string;
  cpu: number | undefined;
}

export interface LoadFigures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  /** Answers by HTTP status. */
  statusCodes: Record<string, number>;
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  statusCodeStats?: Record<string, { count: number }>;
}

/**
 * Loads `url` with autocannon in a process of its own (its CLI, `--json`), so that the load
 * generator does not share this process's event loop with the subgraphs.
 */
export async function autocannon(o: LoadOptions): Promise<LoadFigures> {
  const p = launch({
    command: [
      'node',
      AUTOCANNON,
      '--json',
      '-c',
      String(o.connections),
      '-d',
      String(o.seconds),
      ...(o.rate === undefined ? [] : ['-R', String(o.rate)]),
      '-m',
      'POST',
      '-i',
      o.bodyFile,
      '-H',
      'content-type=application/json',
      ...Object.entries(o.headers).flatMap(([name, value]) => ['-H', `${name}=${value}`]),
      ...(o.expectBody === undefined ? [] : ['-E', o.expectBody]),
      o.url,
    ],
    cwd: o.root,
    cpu: o.cpu,
  });
  let stdout = '';
  p.child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  const how = await p.exited;
  const json = stdout.slice(stdout.indexOf('{'));
  let r: AutocannonResult;
  try {
    r = JSON.parse(json) as AutocannonResult;
  } catch {
    throw new Error(`autocannon (${how}) printed no result:\n${p.output.toString()}`);
  }
  return {
    requestsPerSecond: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    mismatches: r.mismatches,
    statusCodes: Object.fromEntries(
      Object.entries(r.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]),
    ),
  };
}
