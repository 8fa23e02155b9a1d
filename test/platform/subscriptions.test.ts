import { setTimeout as sleep } from 'node:timers/promises';
import {
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  type ExecutionResult,
} from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ClientError, ErrorCode } from '../../platform/graphql/errors.js';
import type { LoggingContext } from '../../platform/http/requestLog.js';
import { startHttpService, type HttpService } from '../../platform/http/server.js';
import { LogCapture } from '../harness/logCapture.js';

interface TestContext extends LoggingContext {
  user: string;
}

/** Yields each of `values` as the payload of field `name`. */
const emit = (name: string, values: unknown[]) =>
  async function* () {
    for (const value of values) yield { [name]: value };
  };

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: { hello: { type: GraphQLString, resolve: () => 'hello' } },
  }),
  subscription: new GraphQLObjectType<unknown, TestContext>({
    name: 'Subscription',
    fields: {
      count: { type: new GraphQLNonNull(GraphQLInt), subscribe: emit('count', [1, 2, 3]) },
      whoami: {
        type: GraphQLString,
        subscribe: async function* (_root, _args, ctx: TestContext) {
          yield { whoami: `${ctx.user} ${ctx.requestId}` };
        },
      },
      /** Fails with an internal detail a client must not see in production. */
      broken: {
        type: GraphQLInt,
        subscribe: emit('broken', [1]),
        resolve: () => {
          throw new Error('relation "secret_table" does not exist');
        },
      },
      denied: {
        type: GraphQLInt,
        subscribe: emit('denied', [1]),
        resolve: () => {
          throw new ClientError(ErrorCode.FORBIDDEN, 'Not yours.');
        },
      },
      /** Ticks until the client goes away. */
      ticks: {
        type: GraphQLInt,
        subscribe: async function* () {
          for (let i = 1; ; i++) {
            yield { ticks: i };
            await sleep(20);
          }
        },
      },
    },
  }),
});

const logs = new LogCapture();
let service: HttpService;
const clients: Client[] = [];

async function startService(): Promise<HttpService> {
  return startHttpService<TestContext>({
    component: 'subscriptions-test',
    apollo: { schema },
    context: async ({ requestId, log }) => ({ requestId, log, user: 'http' }),
    subscriptions: {
      context: async (params, log) => {
        if (params?.token !== 'ok') throw new ClientError(ErrorCode.UNAUTHENTICATED, 'Bad token.');
        return { requestId: log.bindings().requestId as string, log, user: 'alice' };
      },
    },
    host: '127.0.0.1',
    port: 0,
    production: true,
    log: logs.log,
  });
}

function connect(url: string, token: string, headers: Record<string, string> = {}): Client {
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    // Node 20 has no global WebSocket.
    webSocketImpl: class extends WebSocket {
      constructor(address: string, protocols: string | string[]) {
        super(address, protocols, { headers });
      }
    },
    connectionParams: { token },
    retryAttempts: 0,
  });
  clients.push(client);
  return client;
}

/** Every result of one operation, and how it ended. */
function run(
  client: Client,
  query: string,
): Promise<{ results: ExecutionResult[]; error?: unknown }> {
  return new Promise((resolve) => {
    const results: ExecutionResult[] = [];
    client.subscribe(
      { query },
      {
        next: (r) => results.push(r as ExecutionResult),
        error: (error) => resolve({ results, error }),
        complete: () => resolve({ results }),
      },
    );
  });
}

beforeAll(async () => {
  service = await startService();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
});
afterAll(async () => {
  await service?.close();
});

describe('GraphQL subscriptions over graphql-ws', () => {
  it('streams every value to an authenticated client', async () => {
    const client = connect(service.url, 'ok');
    expect(await run(client, 'subscription { count }')).toEqual({
      results: [{ data: { count: 1 } }, { data: { count: 2 } }, { data: { count: 3 } }],
    });
  });

  it("builds the context once per connection, with the client's request id", async () => {
    const client = connect(service.url, 'ok', { 'x-request-id': 'ws-client.1' });
    expect(await run(client, 'subscription { whoami }')).toEqual({
      results: [{ data: { whoami: 'alice ws-client.1' } }],
    });
  });

  it('refuses a client whose connectionParams do not authenticate: close 4403 Forbidden', async () => {
    const client = connect(service.url, 'forged');
    const { results, error } = await run(client, 'subscription { count }');
    expect(results).toEqual([]);
    expect(error).toMatchObject({ code: 4403, reason: 'Forbidden' });
    expect(logs.find({ msg: 'subscription refused', reason: 'Bad token.' })).toHaveLength(1);
  });

  it('formats errors as Apollo does: internal ones masked and logged, client codes kept', async () => {
    const client = connect(service.url, 'ok');
    const [broken, denied] = await Promise.all([
      run(client, 'subscription { broken }'),
      run(client, 'subscription { denied }'),
    ]);
    expect(broken.results).toEqual([
      {
        data: { broken: null },
        errors: [
          {
            message: 'Internal server error',
            path: ['broken'],
            extensions: { code: 'INTERNAL_SERVER_ERROR' },
          },
        ],
      },
    ]);
    expect(JSON.stringify(logs.find({ msg: 'internal error' }))).toContain('secret_table');
    expect(denied.results[0]!.errors).toEqual([
      expect.objectContaining({ message: 'Not yours.', extensions: { code: 'FORBIDDEN' } }),
    ]);
  });

  it('answers a malformed or invalid operation with an error message, not a closed socket', async () => {
    const client = connect(service.url, 'ok');
    const codes = async (query: string) =>
      ((await run(client, query)).error as Array<{ extensions: { code: string } }>).map(
        (e) => e.extensions.code,
      );
    expect(await codes('subscription {')).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(await codes('subscription { nope }')).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    // Production: no introspection here either.
    const introspection = await codes('{ __schema { queryType { name } } }');
    expect(new Set(introspection)).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
    expect(await run(client, 'subscription { count }')).toMatchObject({ results: { length: 3 } });
  });

  it('closes promptly with a client still subscribed', async () => {
    const own = await startService();
    const client = connect(own.url, 'ok');
    const results: unknown[] = [];
    const ended = new Promise<unknown>((resolve) => {
      client.subscribe(
        { query: 'subscription { ticks }' },
        { next: (r) => results.push(r), error: resolve, complete: () => resolve('complete') },
      );
    });
    await expect.poll(() => results.length).toBeGreaterThan(0);
    const began = performance.now();
    await own.close();
    expect(performance.now() - began).toBeLessThan(1000);
    // 1012 "service restart": clients retry it by themselves.
    expect(await ended).toMatchObject({ code: 1012 });
  });
});
