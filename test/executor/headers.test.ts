import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CALLER_HEADER, REQUEST_ID_HEADER } from '../../platform/auth/internalIdentity.js';
import { testIdentity } from '../harness/auth.js';
import {
  FEDERATION_2_3,
  planFetches,
  startExecutorGraph,
  type ExecutorGraph,
  type RecordedFetch,
  type SubgraphContext,
  type TestSubgraph,
  PLANNERS,
} from './harness.js';
import { shop } from './shop.js';

/** Who the subgraph believes is calling, from the gateway-signed header, as a subgraph would. */
async function seenBy({ headers }: SubgraphContext): Promise<string> {
  const token = headers[CALLER_HEADER];
  if (typeof token !== 'string') return 'anonymous';
  const caller = await testIdentity.verify(token);
  return `${caller.sub}@${caller.org} [${[...caller.scopes].join(' ')}]`;
}

const echo: TestSubgraph = {
  name: 'echo',
  typeDefs: `${FEDERATION_2_3(['@key'])}
    type Query {
      caller: String!
    }
    type Product @key(fields: "upc") {
      upc: String!
      seenBy: String!
    }`,
  resolvers: {
    Query: { caller: (_: unknown, _args: unknown, context: SubgraphContext) => seenBy(context) },
    Product: {
      __resolveReference: (ref: { upc: string }) => ref,
      seenBy: (_: unknown, _args: unknown, context: SubgraphContext) => seenBy(context),
    },
  },
};

/** Touches all five subgraphs: root fetches in parallel, entity fetches in sequence. */
const EVERYWHERE = `{
  caller
  me { username }
  topProducts(first: 2) { name inStock seenBy reviews { author { name } } }
}`;
const SUBGRAPHS = ['products', 'reviews', 'accounts', 'inventory', 'echo'];

describe.each(PLANNERS)('planner: %s', (planner) => {
  let graph: ExecutorGraph;
  beforeAll(async () => {
    graph = await startExecutorGraph([...shop(), echo], { planner });
  });
  afterAll(async () => {
    await graph?.close();
  });
  beforeEach(() => graph.resetFetches());

  const allFetches = (): RecordedFetch[] => SUBGRAPHS.flatMap((name) => graph.fetches(name));

  describe('the caller and the request id reach every subgraph fetch', () => {
    it('the plan asks every subgraph, with entity fetches', () => {
      const fetches = planFetches(graph.plan(EVERYWHERE));
      expect(new Set(fetches.map((f) => f.serviceName))).toEqual(new Set(SUBGRAPHS));
      expect(fetches.some((f) => f.entity)).toBe(true);
    });

    it('with a token: the signed caller and the client request id on root and entity fetches', async () => {
      const token = await graph.as({ sub: 'kari', org: '310012343', scope: 'dpv:read' });
      const r = await graph.query(EVERYWHERE, undefined, {
        ...token,
        [REQUEST_ID_HEADER]: 'client-req-42',
      });
      expect(r.status).toBe(200);
      expect(r.headers.get(REQUEST_ID_HEADER)).toBe('client-req-42');
      const kari = 'kari@310012343 [dpv:read]';
      expect(r.body).toEqual({
        data: {
          caller: kari,
          me: { username: 'ada' },
          topProducts: [
            {
              name: 'Table',
              inStock: true,
              seenBy: kari,
              reviews: [{ author: { name: 'Ada Lovelace' } }, { author: { name: 'Grace Hopper' } }],
            },
            {
              name: 'Couch',
              inStock: false,
              seenBy: kari,
              reviews: [{ author: { name: 'Ada Lovelace' } }],
            },
          ],
        },
      });
      for (const name of SUBGRAPHS) expect(graph.fetches(name).length, name).toBeGreaterThan(0);
      for (const fetch of allFetches()) {
        expect(fetch.headers[REQUEST_ID_HEADER]).toBe('client-req-42');
        const caller = await testIdentity.verify(fetch.headers[CALLER_HEADER] as string);
        expect({ sub: caller.sub, org: caller.org, scopes: [...caller.scopes] }).toEqual({
          sub: 'kari',
          org: '310012343',
          scopes: ['dpv:read'],
        });
      }
    });

    it('anonymous: no caller header at all, and the request id the gateway made up', async () => {
      const r = await graph.query(EVERYWHERE);
      expect(r.status).toBe(200);
      expect(r.body.data.caller).toBe('anonymous');
      expect(r.body.data.topProducts.map((p: any) => p.seenBy)).toEqual(['anonymous', 'anonymous']);
      const requestId = r.headers.get(REQUEST_ID_HEADER);
      expect(requestId).toMatch(/^[\w.:-]{8,}$/);
      expect(allFetches().length).toBeGreaterThanOrEqual(SUBGRAPHS.length);
      for (const fetch of allFetches()) {
        expect(fetch.headers[CALLER_HEADER]).toBeUndefined();
        expect(fetch.headers[REQUEST_ID_HEADER]).toBe(requestId);
      }
    });

    it('concurrent requests of different callers: each fetch carries its own caller', async () => {
      const callers = ['anne', 'bjorn', 'cecilie', 'dag'];
      const responses = await Promise.all(
        callers.map(async (sub) =>
          graph.query(EVERYWHERE, undefined, {
            ...(await graph.as({ sub, org: '310012343', scope: 'dpv:read' })),
            [REQUEST_ID_HEADER]: `req-${sub}`,
          }),
        ),
      );
      responses.forEach((r, i) => {
        const expected = `${callers[i]}@310012343 [dpv:read]`;
        expect(r.body.data.caller).toBe(expected);
        expect(r.body.data.topProducts.map((p: any) => p.seenBy)).toEqual([expected, expected]);
      });
      const fetches = allFetches();
      expect(fetches.length).toBeGreaterThanOrEqual(callers.length * SUBGRAPHS.length);
      for (const fetch of fetches) {
        const caller = await testIdentity.verify(fetch.headers[CALLER_HEADER] as string);
        expect(fetch.headers[REQUEST_ID_HEADER]).toBe(`req-${caller.sub}`);
      }
    });
  });
});
