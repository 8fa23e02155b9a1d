import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { execute, parse, validate, type GraphQLSchema } from 'graphql';

/** One subgraph of the classic federation demo: its SDL and resolvers over static data. */
export interface DemoSubgraph {
  name: string;
  /** SDL without the federation `@link`, which {@link serveDemoSubgraph} adds. */
  typeDefs: string;
  resolvers: GraphQLResolverMap<unknown>;
}

export interface ServedSubgraph {
  name: string;
  url: string;
  /** The SDL with its `@link`, as composition wants it. */
  typeDefs: string;
  /** Requests received so far. */
  requests(): number;
  close(): Promise<void>;
}

const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", ' +
  'import: ["@key", "@shareable", "@external", "@requires", "@provides"])';

/** Memoised answers kept per subgraph; the gateways send a few dozen distinct requests. */
const MEMO_LIMIT = 10_000;

/**
 * Serves one demo subgraph on loopback with graphql-js on a plain node:http server (no Apollo
 * Server, no express). Answers are memoised by request body: the data is static, so an identical
 * request always gets an identical answer, and the subgraphs, which share a CPU with the load
 * generator, stay far from being the bottleneck. What the bench measures is the gateway.
 */
export async function serveDemoSubgraph(def: DemoSubgraph): Promise<ServedSubgraph> {
  const typeDefs = `${FEDERATION_LINK}\n\n${def.typeDefs}`;
  const schema = buildSubgraphSchema([{ typeDefs: parse(typeDefs), resolvers: def.resolvers }]);
  const memo = new Map<string, string>();
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const known = memo.get(body);
      const answer = known === undefined ? answerOf(schema, body) : Promise.resolve(known);
      void answer.then((text) => {
        if (known === undefined) {
          if (memo.size >= MEMO_LIMIT) memo.clear();
          memo.set(body, text);
        }
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
      });
    });
  });
  // Longer than any gateway's idle pooled connection, so that no reused socket is closed under it.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name: def.name,
    url: `http://127.0.0.1:${port}/graphql`,
    typeDefs,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Executes one GraphQL-over-HTTP request body; every answer, errors included, is JSON. */
async function answerOf(schema: GraphQLSchema, body: string): Promise<string> {
  try {
    const request = JSON.parse(body) as {
      query?: string;
      variables?: Record<string, unknown> | null;
      operationName?: string | null;
    };
    const document = parse(request.query ?? '');
    const errors = validate(schema, document);
    if (errors.length > 0) return JSON.stringify({ errors });
    const result = await execute({
      schema,
      document,
      variableValues: request.variables ?? undefined,
      operationName: request.operationName ?? undefined,
    });
    return JSON.stringify(result);
  } catch (err) {
    return JSON.stringify({ errors: [{ message: (err as Error).message }] });
  }
}
