import type http from 'node:http';
import type express from 'express';
import { SubscriptionCore, type GatewaySubscriptionOptions } from './core.js';
import { serveGraphqlWs } from './transports/graphqlWs.js';
import { multipartSubscriptions } from './transports/multipartHttp.js';
import { sseSubscriptions } from './transports/sse.js';

export { CloseCode } from './connection.js';
export type { GatewaySubscriptionOptions, SubscriptionLimits } from './core.js';

/** The gateway's subscriptions: one core, its transports, and how they stop. */
export interface GatewaySubscriptions {
  /** The HTTP transports (multipart, SSE), on the GraphQL path before Apollo Server. */
  handlers: express.RequestHandler[];
  /** Serves graphql-ws on the HTTP server once it listens. */
  attach(httpServer: http.Server): void;
  /** Ends the HTTP streams at once (a drain waits for requests; these never end by themselves). */
  endStreams(): Promise<void>;
  /** Closes the sockets (1012) after the last events handed out, then the core. */
  close(): Promise<void>;
}

/**
 * Serves subscriptions at the gateway's `/graphql` over three transports, each an adapter of the
 * one {@link SubscriptionCore} (identity, limits, admission, routing by plan, resume, metrics):
 * graphql-ws, multipart HTTP (Apollo Router's protocol) and SSE (graphql-sse). A new transport
 * is a new file under transports/.
 */
export function serveGatewaySubscriptions(
  options: GatewaySubscriptionOptions & { bodyLimit: string },
): GatewaySubscriptions {
  const core = new SubscriptionCore(options);
  const http = [
    multipartSubscriptions(core, options.bodyLimit),
    sseSubscriptions(core, options.bodyLimit),
  ];
  let closeWs: (() => Promise<void>) | undefined;
  const endStreams = async () => {
    await Promise.all(http.map((t) => t.close()));
  };
  return {
    handlers: http.map((t) => t.handler),
    attach(httpServer) {
      closeWs = serveGraphqlWs(httpServer, core);
    },
    endStreams,
    async close() {
      // No event is handed out from here on; those already handed out reach their sockets within
      // this turn of the event loop, before the close frame that follows them.
      core.hold();
      await new Promise((resolve) => setImmediate(resolve));
      await endStreams();
      await closeWs?.();
      await core.close();
    },
  };
}
