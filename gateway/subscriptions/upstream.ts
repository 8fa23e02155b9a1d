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
 * The gateway's graphql-ws connections to one subgraph, shared by every subscription routed
 * there (each operation carries its own caller). Subscriptions are spread over `connections`
 * sockets, so that one saturated or lost socket holds up only its share, and a resubscribe after
 * a loss goes to whichever socket is next, not to the one that was lost. Each socket is lazy:
 * opened with its first subscription, closed a while after its last. A lost socket is not
 * retried here: each subscription learns of it through its sink's `error` and subscribes again
 * from its last cursor.
 */
export class Upstream {
  private readonly sockets: UpstreamSocket[];
  private next = 0;

  constructor(
    readonly name: string,
    httpUrl: string,
    log: Logger,
    connections = 4,
  ) {
    const url = httpUrl.replace(/^http/, 'ws');
    this.sockets = Array.from({ length: Math.max(1, connections) }, (_, i) => {
      return new UpstreamSocket(name, url, log.child({ upstream: i }));
    });
  }

  /** Subscribes; `onLive` is called once the socket carrying it is acknowledged. */
  subscribe(request: UpstreamRequest, onLive: () => void, sink: Sink<ExecutionResult>): () => void {
    const socket = this.sockets[this.next++ % this.sockets.length]!;
    return socket.subscribe(request, onLive, sink);
  }

  async close(): Promise<void> {
    await Promise.all(this.sockets.map((s) => s.close()));
  }
}

/** One graphql-ws connection to a subgraph. */
class UpstreamSocket {
  private client: Client | undefined;
  private connected = false;
  private readonly whenConnected = new Set<() => void>();

  constructor(
    private readonly name: string,
    private readonly url: string,
    private readonly log: Logger,
  ) {}

  subscribe(request: UpstreamRequest, onLive: () => void, sink: Sink<ExecutionResult>): () => void {
    const client = (this.client ??= this.connect());
    if (this.connected) queueMicrotask(onLive);
    else this.whenConnected.add(onLive);
    const unsubscribe = client.subscribe(request, sink);
    return () => {
      this.whenConnected.delete(onLive);
      unsubscribe();
    };
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
        connected: () => {
          this.log.debug({ subgraph: this.name }, 'upstream connected');
          if (this.client !== client) return;
          this.connected = true;
          const live = [...this.whenConnected];
          this.whenConnected.clear();
          for (const f of live) f();
        },
        closed: (event) => {
          // The next subscription opens a new connection.
          if (this.client === client) {
            this.client = undefined;
            this.connected = false;
          }
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
