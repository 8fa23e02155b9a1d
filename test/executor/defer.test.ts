import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { multipartParts } from '../harness/multipart.js';
import {
  FEDERATION_2_3,
  PLANNERS,
  planNodeKinds,
  sleep,
  startExecutorGraph,
  type ExecutorGraph,
  type TestSubgraph,
} from './harness.js';
import { shop } from './shop.js';

/** What `notes` waits for before it answers: the test opens it. */
let gate: { promise: Promise<void>; open: () => void };
const closedGate = () => {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
};

/** Notes on products, answered only once the gate opens; `broken` always fails. */
const notes: TestSubgraph = {
  name: 'notes',
  typeDefs: `${FEDERATION_2_3(['@key'])}
    type Product @key(fields: "upc") {
      upc: String!
      note: Note
      broken: String
    }
    type Note { text: String! author: User! }
    type User @key(fields: "id", resolvable: false) { id: ID! }`,
  resolvers: {
    Product: {
      __resolveReference: (ref: { upc: string }) => ref,
      note: async (p: { upc: string }) => {
        await gate.promise;
        return { text: `about ${p.upc}`, author: { id: 'u1' } };
      },
      broken: () => {
        throw new Error('notes cannot say');
      },
    },
  },
};

const DEFER_ACCEPT = 'multipart/mixed;deferSpec=20220824,application/json';

describe.each(PLANNERS)('planner: %s', (planner) => {
  let graph: ExecutorGraph;
  beforeAll(async () => {
    graph = await startExecutorGraph([...shop(), notes], { planner });
  });
  afterAll(async () => {
    await graph?.close();
  });
  beforeEach(() => {
    gate = closedGate();
    graph.resetFetches();
  });

  const post = (query: string, accept: string, signal?: AbortSignal) =>
    fetch(graph.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, 'accept-encoding': 'gzip' },
      body: JSON.stringify({ query }),
      signal,
    });

  describe('@defer over multipart/mixed; deferSpec=20220824', () => {
    const REVIEWS = `{ topProducts(first: 2) { name ... @defer(label: "r") { reviews { stars } } } }`;

    it('answers the primary part first, then each deferred object at its path, with its label', async () => {
      expect(planNodeKinds(graph.plan(REVIEWS))[0]).toBe('Defer');
      const res = await post(REVIEWS, DEFER_ACCEPT);
      expect(res.headers.get('content-type')).toBe(
        'multipart/mixed; boundary="-"; deferSpec=20220824',
      );
      // Streamed parts are never compressed (the compression middleware would hold them back).
      expect(res.headers.get('content-encoding')).toBeNull();
      const parts = [];
      for await (const part of multipartParts(res)) parts.push(part);
      expect(parts).toEqual([
        { data: { topProducts: [{ name: 'Table' }, { name: 'Couch' }] }, hasNext: true },
        {
          incremental: [
            {
              data: { reviews: [{ stars: 5 }, { stars: 2 }] },
              path: ['topProducts', 0],
              label: 'r',
            },
            { data: { reviews: [{ stars: 3 }] }, path: ['topProducts', 1], label: 'r' },
          ],
          hasNext: false,
        },
      ]);
    });

    it('answers whole, in one JSON result, when the client does not accept multipart', async () => {
      const r = await graph.query(REVIEWS, undefined, { accept: 'application/json' });
      expect(r.contentType).toMatch(/^application\/json/);
      expect(r.body).toEqual({
        data: {
          topProducts: [
            { name: 'Table', reviews: [{ stars: 5 }, { stars: 2 }] },
            { name: 'Couch', reviews: [{ stars: 3 }] },
          ],
        },
      });
    });

    it('sends the first part while a deferred fetch is still under way', async () => {
      const res = await post(
        `{ product(upc: "p1") { name ... @defer { note { text } } } }`,
        DEFER_ACCEPT,
      );
      const parts = multipartParts(res);
      const first = await parts.next();
      expect(first.value).toEqual({ data: { product: { name: 'Table' } }, hasNext: true });
      // The notes subgraph is asked, and waits on the gate: the first part did not wait for it.
      await vi.waitFor(() => expect(graph.fetches('notes')).toHaveLength(1));
      gate.open();
      const second = await parts.next();
      expect(second.value).toEqual({
        incremental: [{ data: { note: { text: 'about p1' } }, path: ['product'] }],
        hasNext: false,
      });
      expect((await parts.next()).done).toBe(true);
    });

    it("puts a deferred part's errors in that part, not in the first", async () => {
      gate.open();
      const res = await post(`{ product(upc: "p2") { name ... @defer { broken } } }`, DEFER_ACCEPT);
      const parts = [];
      for await (const part of multipartParts(res)) parts.push(part);
      expect(parts[0]).toEqual({ data: { product: { name: 'Couch' } }, hasNext: true });
      const item = (parts[1] as { incremental: any[] }).incremental[0];
      expect(item.data).toEqual({ broken: null });
      expect(item.path).toEqual(['product']);
      expect(item.errors[0]).toMatchObject({
        message: 'notes cannot say',
        path: ['product', 'broken'],
        extensions: { serviceName: 'notes' },
      });
    });

    it('starts no further fetch once the client has gone', async () => {
      const aborter = new AbortController();
      const res = await post(
        `{ product(upc: "p1") { name ... @defer { note { text author { name } } } } }`,
        DEFER_ACCEPT,
        aborter.signal,
      );
      const parts = multipartParts(res);
      expect((await parts.next()).value).toMatchObject({ hasNext: true });
      aborter.abort();
      await parts.return(undefined).catch(() => {});
      await sleep(100);
      // The note's author would be fetched from accounts after notes answers.
      gate.open();
      await sleep(300);
      expect(graph.fetches('notes')).toHaveLength(1);
      expect(graph.fetches('accounts')).toHaveLength(0);
    });

    it('still holds the operation limits', async () => {
      const deep = `{ product(upc: "p1") { name ... @defer { reviews { author { reviews { author { reviews { author { reviews { author { reviews { author { reviews { author { id } } } } } } } } } } } } } } }`;
      const res = await post(deep, DEFER_ACCEPT);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
      expect(body.errors[0]!.extensions.code).toBe('OPERATION_LIMIT');
      expect(graph.fetches('products')).toHaveLength(0);
    });
  });
});
