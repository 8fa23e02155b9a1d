/**
 * Stock Apollo Gateway (@apollo/gateway) in Apollo Server's standalone HTTP server, for
 * `npm run bench:gateway`:
 *
 *   node dist/bench/gateway/apollo.js --supergraph FILE --port N [--forward HEADER]…
 *
 * Serves the supergraph at /graphql with Apollo's defaults (its own fetcher, no extra plugins);
 * each `--forward` header of the client's request is copied onto every subgraph request. The bench
 * starts it with APOLLO_TELEMETRY_DISABLED=true, so that @apollo/gateway reports nothing to Apollo.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

const { values } = parseArgs({
  options: {
    supergraph: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '4000' },
    forward: { type: 'string', multiple: true, default: [] },
  },
});
if (!values.supergraph) throw new Error('--supergraph FILE is required');

interface Context {
  forwarded: Record<string, string>;
}

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(values.supergraph, 'utf8'),
  buildService: ({ url }) =>
    new RemoteGraphQLDataSource<Context>({
      url,
      willSendRequest({ request, context }) {
        // Health checks run without a request's context.
        const forwarded = (context as Partial<Context> | undefined)?.forwarded ?? {};
        for (const [name, value] of Object.entries(forwarded)) {
          request.http?.headers.set(name, value);
        }
      },
    }),
});
const server = new ApolloServer<Context>({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { host: values.host, port: Number(values.port) },
  context: async ({ req }) => {
    const forwarded: Record<string, string> = {};
    for (const name of values.forward as string[]) {
      const value = req.headers[name.toLowerCase()];
      if (typeof value === 'string') forwarded[name] = value;
    }
    return { forwarded };
  },
});
console.log(`apollo gateway ready at ${url}`);
