import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ApolloServer, type ApolloServerOptions, type BaseContext } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import type { Logger } from './logger.js';

export interface HttpServiceOptions<Ctx extends BaseContext> {
  /** Apollo Server options without `plugins` for draining, which this adds. */
  apollo: ApolloServerOptions<Ctx>;
  /** Builds the context of one request; called once per operation. */
  context: (req: express.Request) => Promise<Ctx>;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** `GET /health` answers 200 when this resolves true, 503 otherwise. @default always healthy */
  health?: () => Promise<boolean>;
  /** Largest JSON request body. @default '1mb' */
  bodyLimit?: string;
  log: Logger;
}

/** A listening HTTP service. */
export interface HttpService {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4001/graphql`. */
  url: string;
  port: number;
  httpServer: http.Server;
  /** Stops accepting requests, lets running ones finish, then closes the socket. */
  close(): Promise<void>;
}

/** Serves Apollo Server at `/graphql` and a health probe at `/health` on one HTTP server. */
export async function startHttpService<Ctx extends BaseContext>(
  options: HttpServiceOptions<Ctx>,
): Promise<HttpService> {
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  const apollo = new ApolloServer<Ctx>({
    ...options.apollo,
    // Shutdown order is the process's to decide (platform/shutdown.ts), not each server's.
    stopOnTerminationSignals: false,
    plugins: [...(options.apollo.plugins ?? []), ApolloServerPluginDrainHttpServer({ httpServer })],
  } as ApolloServerOptions<Ctx>);
  await apollo.start();

  const health = options.health ?? (async () => true);
  app.get('/health', async (_req, res) => {
    const ok = await health().catch(() => false);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable' });
  });
  app.use(
    '/graphql',
    express.json({ limit: options.bodyLimit ?? '1mb' }),
    expressMiddleware(apollo, { context: async ({ req }) => options.context(req) }),
  );

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://${options.host}:${port}/graphql`;
  options.log.info({ url }, 'listening');
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    httpServer,
    close: () => (closing ??= apollo.stop()),
  };
}
