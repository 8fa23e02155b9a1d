import { readFile } from 'node:fs/promises';
import type { Logger } from '../platform/logger.js';
import { startHttpService, type HttpService } from '../platform/server.js';
import { createExecutor } from './executor.js';
import { subgraphsOf, type SubgraphEndpoint } from './supergraph.js';

export interface GatewayOptions {
  /** Path of the composed supergraph SDL. */
  supergraphPath: string;
  /** Overrides of the subgraph URLs composed into the supergraph, by subgraph name. */
  subgraphUrls: Record<string, string>;
  host: string;
  /** 0 picks a free port. */
  port: number;
  timeoutMs: number;
  production: boolean;
  log: Logger;
}

export interface RunningGateway extends HttpService {
  subgraphs: SubgraphEndpoint[];
}

/** Serves the supergraph at `/graphql`; `/health` is 200 once every subgraph answers. */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const log = options.log.child({ component: 'gateway' });
  const supergraphSdl = await readFile(options.supergraphPath, 'utf8');
  const subgraphs = subgraphsOf(supergraphSdl).map((s) => ({
    name: s.name,
    url: options.subgraphUrls[s.name] ?? s.url,
  }));
  const service = await startHttpService({
    apollo: {
      gateway: createExecutor({ supergraphSdl, subgraphs, timeoutMs: options.timeoutMs, log }),
      includeStacktraceInErrorResponses: !options.production,
    },
    context: async () => ({}),
    host: options.host,
    port: options.port,
    health: async () => (await Promise.all(subgraphs.map(answers))).every(Boolean),
    log,
  });
  return { ...service, subgraphs };
}

/** True when the subgraph executes a trivial operation within two seconds. */
async function answers(subgraph: SubgraphEndpoint): Promise<boolean> {
  try {
    const res = await fetch(subgraph.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
      signal: AbortSignal.timeout(2000),
    });
    return res.ok;
  } catch {
    return false;
  }
}
