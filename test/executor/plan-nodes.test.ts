import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  FEDERATION_2_3,
  planNodeKinds,
  representations,
  sleep,
  startExecutorGraph,
  type ExecutorGraph,
  type TestSubgraph,
  PLANNERS,
} from './harness.js';
import { shop } from './shop.js';

/**
 * Two subgraphs whose root fields each wait until the other has been asked too: they only both
 * resolve when the gateway fetches them at the same time.
 */
const arrived = new Set<string>();
async function rendezvous(me: string, other: string): Promise<string> {
  arrived.add(me);
  const deadline = Date.now() + 2_000;
  while (!arrived.has(other)) {
    if (Date.now() > deadline) throw new Error(`${other} was not fetched while ${me} waited`);
    await sleep(5);
  }
  return me;
}
const side = (name: string, other: string): TestSubgraph => ({
  name,
  typeDefs: `${FEDERATION_2_3(['@key'])}
    type Query { ${name}: String! }`,
  resolvers: { Query: { [name]: () => rendezvous(name, other) } },
});

describe.each(PLANNERS)('planner: %s', (planner) => {
  let graph: ExecutorGraph;
  beforeAll(async () => {
    graph = await startExecutorGraph([...shop(), side('left', 'right'), side('right', 'left')], {
      planner,
    });
  });
  afterAll(async () => {
    await graph?.close();
  });
  beforeEach(() => graph.resetFetches());

  const fetchCounts = () =>
    Object.fromEntries(
      ['products', 'reviews', 'accounts', 'inventory'].map((n) => [n, graph.fetches(n).length]),
    );

  describe('Fetch', () => {
    it('a query one subgraph answers is one fetch, returned as is', async () => {
      const q = `{ topProducts { upc name price } }`;
      expect(planNodeKinds(graph.plan(q))).toEqual(['Fetch']);
      const r = await graph.query(q);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        data: {
          topProducts: [
            { upc: 'p1', name: 'Table', price: 899 },
            { upc: 'p2', name: 'Couch', price: 1299 },
            { upc: 'p3', name: 'Chair', price: 54 },
          ],
        },
      });
      expect(fetchCounts()).toEqual({ products: 1, reviews: 0, accounts: 0, inventory: 0 });
    });
  });

  describe('Sequence', () => {
    it('entity fetches run after the root fetch that yields their keys, three levels deep', async () => {
      const q = `{ topProducts(first: 2) { name reviews { body author { name } } } }`;
      const kinds = planNodeKinds(graph.plan(q));
      expect(kinds[0]).toBe('Sequence');
      expect(kinds).toContain('Flatten');
      const r = await graph.query(q);
      expect(r.body).toEqual({
        data: {
          topProducts: [
            {
              name: 'Table',
              reviews: [
                { body: 'Love it!', author: { name: 'Ada Lovelace' } },
                { body: 'Too expensive.', author: { name: 'Grace Hopper' } },
              ],
            },
            {
              name: 'Couch',
              reviews: [{ body: 'Could be better.', author: { name: 'Ada Lovelace' } }],
            },
          ],
        },
      });
      expect(representations(graph.fetches('reviews'))).toEqual([
        { __typename: 'Product', upc: 'p1' },
        { __typename: 'Product', upc: 'p2' },
      ]);
      expect(new Set(representations(graph.fetches('accounts')).map((u) => u.id))).toEqual(
        new Set(['u1', 'u2']),
      );
    });
  });

  describe('Parallel', () => {
    it('root fields of two subgraphs are fetched at the same time', async () => {
      arrived.clear();
      const q = `{ left right }`;
      expect(planNodeKinds(graph.plan(q))).toEqual(['Parallel', 'Fetch', 'Fetch']);
      const r = await graph.query(q);
      expect(r.body).toEqual({ data: { left: 'left', right: 'right' } });
    });

    it('root fields of two subgraphs are merged into one result', async () => {
      const q = `{ topProducts(first: 1) { name } me { username } }`;
      expect(planNodeKinds(graph.plan(q))).toEqual(['Parallel', 'Fetch', 'Fetch']);
      const r = await graph.query(q);
      expect(r.body).toEqual({
        data: { topProducts: [{ name: 'Table' }], me: { username: 'ada' } },
      });
    });

    it('entity fetches to two subgraphs from the same parent both land on it', async () => {
      const q = `{ topProducts { name inStock reviews { stars } } }`;
      const kinds = planNodeKinds(graph.plan(q));
      expect(kinds).toContain('Parallel');
      expect(kinds.filter((k) => k === 'Flatten')).toHaveLength(2);
      const r = await graph.query(q);
      expect(r.body).toEqual({
        data: {
          topProducts: [
            { name: 'Table', inStock: true, reviews: [{ stars: 5 }, { stars: 2 }] },
            { name: 'Couch', inStock: false, reviews: [{ stars: 3 }] },
            { name: 'Chair', inStock: true, reviews: [{ stars: 4 }] },
          ],
        },
      });
      expect(fetchCounts()).toEqual({ products: 1, reviews: 1, accounts: 0, inventory: 1 });
    });
  });

  describe('Flatten', () => {
    it('merges entities into a list of lists, keeping an empty inner list', async () => {
      const q = `{ shelves { name inStock } }`;
      const plan = graph.plan(q);
      expect(planNodeKinds(plan)).toContain('Flatten');
      // Apollo names both list levels; Hive one, the runner walking nested lists through.
      expect(JSON.stringify(plan)).toContain(
        planner === 'apollo' ? '"path":["shelves","@","@"]' : '"path":["shelves","@"]',
      );
      const r = await graph.query(q);
      expect(r.body).toEqual({
        data: {
          shelves: [
            [
              { name: 'Table', inStock: true },
              { name: 'Couch', inStock: false },
            ],
            [{ name: 'Chair', inStock: true }],
            [],
          ],
        },
      });
    });

    it('skips null list entries and merges the others at their own index', async () => {
      const q = `{ productsByUpc(upcs: ["p3", "nope", "p1"]) { upc inStock } }`;
      expect(planNodeKinds(graph.plan(q))).toContain('Flatten');
      const r = await graph.query(q);
      expect(r.body).toEqual({
        data: {
          productsByUpc: [{ upc: 'p3', inStock: true }, null, { upc: 'p1', inStock: true }],
        },
      });
      expect(representations(graph.fetches('inventory'))).toEqual([
        { __typename: 'Product', upc: 'p3' },
        { __typename: 'Product', upc: 'p1' },
      ]);
    });

    it('merges through a list of entities inside a list of entities', async () => {
      const q = `{ latestReviews { product { name reviews(minStars: 4) { author { username } } } } }`;
      expect(planNodeKinds(graph.plan(q)).filter((k) => k === 'Flatten').length).toBeGreaterThan(1);
      const r = await graph.query(q);
      expect(r.body).toEqual({
        data: {
          latestReviews: [
            { product: { name: 'Chair', reviews: [{ author: { username: 'grace' } }] } },
            { product: { name: 'Couch', reviews: [] } },
            { product: { name: 'Table', reviews: [{ author: { username: 'ada' } }] } },
            { product: { name: 'Table', reviews: [{ author: { username: 'ada' } }] } },
          ],
        },
      });
    });
  });

  describe('Condition', () => {
    const INCLUDE = `query ($withReviews: Boolean!) {
      topProducts(first: 2) { name reviews @include(if: $withReviews) { stars } }
    }`;
    const SKIP = `query ($noReviews: Boolean!) {
      topProducts(first: 2) { name ... @skip(if: $noReviews) { reviews { stars } } }
    }`;
    const WITH = {
      data: {
        topProducts: [
          { name: 'Table', reviews: [{ stars: 5 }, { stars: 2 }] },
          { name: 'Couch', reviews: [{ stars: 3 }] },
        ],
      },
    };
    const WITHOUT = { data: { topProducts: [{ name: 'Table' }, { name: 'Couch' }] } };

    it('the planner makes a condition node for both', () => {
      expect(planNodeKinds(graph.plan(INCLUDE))).toContain('Condition');
      expect(planNodeKinds(graph.plan(SKIP))).toContain('Condition');
    });

    it('@include(if: true) runs the conditional fetch', async () => {
      const r = await graph.query(INCLUDE, { withReviews: true });
      expect(r.body).toEqual(WITH);
      expect(graph.fetches('reviews')).toHaveLength(1);
    });

    it('@include(if: false) leaves the field out and never asks its subgraph', async () => {
      const r = await graph.query(INCLUDE, { withReviews: false });
      expect(r.body).toEqual(WITHOUT);
      expect(graph.fetches('reviews')).toHaveLength(0);
    });

    it('@skip(if: false) on a fragment runs the conditional fetch', async () => {
      const r = await graph.query(SKIP, { noReviews: false });
      expect(r.body).toEqual(WITH);
      expect(graph.fetches('reviews')).toHaveLength(1);
    });

    it('@skip(if: true) on a fragment leaves it out and never asks its subgraph', async () => {
      const r = await graph.query(SKIP, { noReviews: true });
      expect(r.body).toEqual(WITHOUT);
      expect(graph.fetches('reviews')).toHaveLength(0);
    });
  });

  describe('Defer', () => {
    const DEFERRED = `{ topProducts(first: 2) { name ... @defer { reviews { stars } } } }`;

    it('the planner makes a defer node (Hive hands @defer to Apollo, which makes one)', () => {
      const kinds = planNodeKinds(graph.plan(DEFERRED));
      expect(kinds[0]).toBe('Defer');
      expect(kinds).toContain('Flatten');
    });

    // Incrementally for clients that accept multipart: test/executor/defer.test.ts.
    it('@defer is answered whole, in one result, to a client that accepts only JSON', async () => {
      const r = await graph.query(DEFERRED, undefined, { accept: 'application/json' });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        data: {
          topProducts: [
            { name: 'Table', reviews: [{ stars: 5 }, { stars: 2 }] },
            { name: 'Couch', reviews: [{ stars: 3 }] },
          ],
        },
      });
      expect(fetchCounts()).toMatchObject({ products: 1, reviews: 1 });
    });
  });
});
