import {
  ApolloGateway,
  RemoteGraphQLDataSource,
  type GraphQLDataSourceProcessOptions,
} from '@apollo/gateway';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { GraphQLError } from 'graphql';
import { ErrorCode } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import type { SubgraphEndpoint } from './supergraph.js';

/**
 * The one module that knows how operations are planned and executed. Today: Apollo's gateway on a
 * static supergraph. Replacing it means providing another `GatewayInterface` here.
 */
export interface ExecutorOptions {
  supergraphSdl: string;
  subgraphs: SubgraphEndpoint[];
  timeoutMs: number;
  log: Logger;
}

export function createExecutor(options: ExecutorOptions): GatewayInterface {
  const urls = new Map(options.subgraphs.map((s) => [s.name, s.url]));
  return new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    logger: options.log,
    buildService: ({ name, url }) =>
      new SubgraphDataSource(name, urls.get(name) ?? url ?? '', options.timeoutMs),
  }) as unknown as GatewayInterface;
}

/** Tags transport failures with the subgraph's name and a stable code. */
class SubgraphDataSource extends RemoteGraphQLDataSource {
  constructor(
    private readonly subgraph: string,
    url: string,
    timeoutMs: number,
  ) {
    super({
      url,
      // Node's own fetch (undici, keep-alive) with a deadline per subgraph request.
      fetcher: ((input: string, init: RequestInit) =>
        fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) })) as never,
    });
  }

  override async process(options: GraphQLDataSourceProcessOptions) {
    try {
      return await super.process(options);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new GraphQLError(`Subgraph "${this.subgraph}" is unavailable: ${reason}`, {
        extensions: { code: ErrorCode.SUBGRAPH_UNAVAILABLE, serviceName: this.subgraph },
      });
    }
  }
}
