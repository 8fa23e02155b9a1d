import {
  ApolloGateway,
  RemoteGraphQLDataSource,
  type GraphQLDataSourceProcessOptions,
} from '@apollo/gateway';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { GraphQLError } from 'graphql';
import { CALLER_HEADER, REQUEST_ID_HEADER } from '../platform/auth/internalIdentity.js';
import { disableVendorTelemetry } from '../platform/env.js';
import { ErrorCode } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import { injectTraceContext } from '../platform/tracing.js';
import type { GatewayContext } from './context.js';
import type { GatewayMetrics } from './metrics.js';
import type { SubgraphEndpoint } from './supergraph.js';

/**
 * The one module that knows how operations are planned and executed. Today: Apollo's gateway on a
 * static supergraph. Replacing it means providing another `GatewayInterface` here.
 */
export interface ExecutorOptions {
  supergraphSdl: string;
  subgraphs: SubgraphEndpoint[];
  /** Deadline of one subgraph request, by subgraph name. */
  timeoutMs: (subgraph: string) => number;
  metrics: GatewayMetrics;
  log: Logger;
}

export function createExecutor(options: ExecutorOptions): GatewayInterface {
  disableVendorTelemetry();
  const urls = new Map(options.subgraphs.map((s) => [s.name, s.url]));
  return new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    logger: options.log,
    buildService: ({ name, url }) =>
      new SubgraphDataSource(name, urls.get(name) ?? url ?? '', options),
  }) as unknown as GatewayInterface;
}

/**
 * Sends the verified caller and the request id along, times every fetch, and tags transport
 * failures with the subgraph's name and a stable code.
 */
class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    private readonly subgraph: string,
    url: string,
    private readonly options: ExecutorOptions,
  ) {
    const timeoutMs = options.timeoutMs(subgraph);
    super({
      url,
      // Node's own fetch (undici, keep-alive) with a deadline per subgraph request.
      fetcher: ((input: string, init: RequestInit) =>
        fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) })) as never,
    });
  }

  override async willSendRequest({
    request,
    context,
  }: Parameters<NonNullable<RemoteGraphQLDataSource<GatewayContext>['willSendRequest']>>[0]) {
    // Health probes and schema loading run without a request context.
    if (!context?.forwardedIdentity) return;
    const identity = await context.forwardedIdentity();
    if (identity) request.http?.headers.set(CALLER_HEADER, identity);
    request.http?.headers.set(REQUEST_ID_HEADER, context.requestId);
    injectTraceContext((name, value) => request.http?.headers.set(name, value));
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    const { metrics } = this.options;
    const stop = metrics.subgraphFetchDuration.startTimer({ subgraph: this.subgraph });
    try {
      return await super.process(options);
    } catch (err) {
      const timedOut =
        err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      const code = timedOut ? ErrorCode.SUBGRAPH_TIMEOUT : ErrorCode.SUBGRAPH_UNAVAILABLE;
      metrics.subgraphErrors.inc({ subgraph: this.subgraph, code });
      const reason = timedOut
        ? `no answer within ${this.options.timeoutMs(this.subgraph)} ms`
        : err instanceof Error
          ? err.message
          : String(err);
      throw new GraphQLError(`Subgraph "${this.subgraph}" is unavailable: ${reason}`, {
        extensions: { code, serviceName: this.subgraph },
      });
    } finally {
      stop();
    }
  }
}
