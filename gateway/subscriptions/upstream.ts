import { createClient, type Client, type ExecutionResult, type Sink } from 'graphql-ws';
import { WebSocket } from 'ws';
import type { Logger } from '../../platform/runtime/logger.js';

export interface UpstreamRequest {
  query: string;
  variables: Record<string, unknown>;
  /** Per-operation parameters: the signed caller and the request id. */
  extensions: Record<string, unknown>;
}

/**
 * The gateway's graphql-ws connection to one subgraph, shared by every subscription routed
 * there (each operation carries its own caller). Lazy: opened with the first subscription,
 * closed a while after the last. A lost connection is not retried here: each subscription
 * learns of it through its sink's `error` and subscribes again from its last cursor.
 */
export class Upstream {
  private client: Client | undefined;
  private readonly url: string;

  constructor(
    readonly name: string,
    httpUrl: string,
    private readonly log: Logger,
  ) {
    this.url = httpUrl.replace(/^http/, 'ws');
  }

  subscribe(request: UpstreamRequest, sink: Sink<ExecutionResult>): () => void {
    const client = (this.client ??= this.connect());
    return client.subscribe(request, sink);
  }

  private connect(): Client {
    const client: Client = createClient({
      url: this.url,
      webSocketImpl: WebSocket,
      lazy: true,
      lazyCloseTimeout: 10_000,
      retryAttempts: 0,
      keepAlive: 10_000,
      on: {
        connected: () => this.log.debug({ subgraph: this.name }, 'upstream connected'),
        closed: (event) => {
          // The next subscription opens a new connection.
          if (this.client === client) this.client = undefined;
          const { code, reason } = (event ?? {}) as { code?: number; reason?: string };
          this.log.debug({ subgraph: this.name, code, reason }, 'upstream closed');
        },
      },
    });
    return client;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.dispose();
  }
}

/** True when a sink error is the connection's end (a close event or a socket error), not GraphQL's. */
export function isConnectionLoss(error: unknown): boolean {
  // graphql-ws hands GraphQL errors over as an array; anything else is the socket's end.
  return !Array.isArray(error);
}
