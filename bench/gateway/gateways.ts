import { CALLER_HEADER } from '../../platform/auth/internalIdentity.js';
import { launch, stop, type Launched } from './processes.js';
import type { GatewayName } from './workload.js';

export interface GatewayRun {
  supergraphPath: string;
  subgraphUrls: Record<string, string>;
  port: number;
  /** taskset CPU, when pinning. */
  cpu: number | undefined;
  /** Project root (cwd of every gateway). */
  root: string;
  /** Signs the caller identity our gateway forwards; the subgraphs verify with it. */
  secret: string;
  devKeyPath: string;
  /** Hive Gateway shares identical in-flight subgraph requests (its default). */
  hiveDedupe: boolean;
  /** Ours shares an identical query under way among requests of one caller (its default). */
  share?: boolean | undefined;
  /** Node options every gateway starts with (the same for all three). */
  nodeFlags: string[];
  /** Ours: environment set after the bench's generous limits (e.g. the real rate limits). */
  env?: Record<string, string> | undefined;
}

export interface RunningGateway {
  name: GatewayName;
  url: string;
  process: Launched;
  close(): Promise<void>;
}

/** Limits far above anything the workloads ask, so that none refuses a bench query. */
const GENEROUS_LIMITS = {
  LIMIT_MAX_DEPTH: '1000',
  LIMIT_MAX_ALIASES: '100000',
  LIMIT_MAX_ROOT_FIELDS: '100000',
  LIMIT_MAX_COST: '1000000000',
  LIMIT_MAX_DOCUMENT_BYTES: '10485760',
  MAX_BODY_SIZE: '10mb',
  // The peers have no rate limits: ours still counts every operation, but never refuses one.
  RATE_LIMIT_POINTS: '1000000000000',
  RATE_LIMIT_IN_FLIGHT: '1000000',
  RATE_LIMIT_ANONYMOUS_POINTS: '1000000000000',
  RATE_LIMIT_ANONYMOUS_IN_FLIGHT: '1000000',
  LOAD_SHED_LAG_MS: '60000',
};

/** Variables that would make a gateway report to a vendor or change its behaviour. */
const UNSET = [
  'APOLLO_KEY',
  'APOLLO_GRAPH_REF',
  'APOLLO_SCHEMA_CONFIG_DELIVERY_ENDPOINT',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'FORK',
  'CONFIG_PATH',
  'POLLING',
  'JIT',
  'OPENTELEMETRY',
  'HIVE_TARGET',
  'HIVE_ACCESS_TOKEN',
  'HIVE_USAGE_ACCESS_TOKEN',
  'HIVE_TRACE_ACCESS_TOKEN',
  'HIVE_REGISTRY_TOKEN',
  'HIVE_USAGE_TARGET',
  'HIVE_CDN_ENDPOINT',
  'HIVE_CDN_KEY',
  'HIVE_ROUTER_RUNTIME',
];

/** The command and environment that start each gateway on `run.port`. */
function commandOf(name: GatewayName, run: GatewayRun) {
  const common = { NODE_ENV: 'development', APOLLO_TELEMETRY_DISABLED: 'true' };
  switch (name) {
    case 'ours':
      return {
        command: ['node', ...run.nodeFlags, 'dist/gateway/main.js'],
        env: {
          ...common,
          ...GENEROUS_LIMITS,
          HOST: '127.0.0.1',
          PORT: String(run.port),
          SUPERGRAPH_PATH: run.supergraphPath,
          SUBGRAPH_URLS: Object.entries(run.subgraphUrls)
            .map(([n, u]) => `${n}=${u}`)
            .join(','),
          LOG_LEVEL: 'silent',
          INTERNAL_AUTH_SECRET: run.secret,
          AUTH_DEV_KEY_PATH: run.devKeyPath,
          AUTH_JWKS_URL: '',
          GATEWAY_SHARE_FETCHES: run.share === false ? 'off' : 'on',
          ...run.env,
        },
      };
    case 'apollo':
      return {
        command: [
          'node',
          ...run.nodeFlags,
          'dist/bench/gateway/apollo.js',
          '--supergraph',
          run.supergraphPath,
          '--port',
          String(run.port),
          '--forward',
          CALLER_HEADER,
        ],
        env: common,
      };
    case 'hive':
    case 'hive-router':
      return {
        command: [
          'node',
          ...run.nodeFlags,
          'bench/peers/node_modules/@graphql-hive/gateway/dist/bin.js',
          'supergraph',
          run.supergraphPath,
          '--host',
          '127.0.0.1',
          '--port',
          String(run.port),
          '--fork',
          '1',
          '--config-path',
          run.hiveDedupe
            ? 'bench/gateway/hive.config.mjs'
            : 'bench/gateway/hive-nodedupe.config.mjs',
          // Query planning and execution by Hive Router's Rust planner (@graphql-hive/router-runtime).
          ...(name === 'hive-router' ? ['--hive-router-runtime'] : []),
        ],
        env: common,
      };
  }
}

/**
 * Starts a gateway as a process of its own (pinned when `run.cpu` is set) and waits until it
 * answers `{ __typename }` at /graphql (ours: also GET /ready, which asks every subgraph).
 */
export async function startGateway(name: GatewayName, run: GatewayRun): Promise<RunningGateway> {
  const { command, env } = commandOf(name, run);
  const p = launch({ command, env, unset: UNSET, cwd: run.root, cpu: run.cpu });
  const base = `http://127.0.0.1:${run.port}`;
  const url = `${base}/graphql`;
  const close = () => stop(p);
  try {
    let ended: string | undefined;
    void p.exited.then((how) => (ended = how));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (ended) throw new Error(`${name} gateway ended (${ended}) before it was ready`);
      if (Date.now() > deadline) throw new Error(`${name} gateway was not ready within 60 s`);
      if ((await answers(url)) && (name !== 'ours' || (await ok(`${base}/ready`)))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    // Hive Gateway falls back to its JavaScript runtime, with a warning, when it cannot load
    // the router runtime: that would be the wrong gateway under the right name.
    if (name === 'hive-router' && /Could not load|Falling back/.test(p.output.toString())) {
      throw new Error('Hive Gateway could not load @graphql-hive/router-runtime');
    }
  } catch (err) {
    await close();
    const output = p.output.toString();
    throw new Error(`${(err as Error).message}${output ? `; it printed:\n${output}` : ''}`);
  }
  return { name, url, process: p, close };
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
      signal: AbortSignal.timeout(2000),
    });
    const body = (await res.json()) as { data?: { __typename?: string } };
    return res.ok && body.data?.__typename === 'Query';
  } catch {
    return false;
  }
}

async function ok(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}
