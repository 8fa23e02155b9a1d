import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  FEDERATION_2_3,
  planFetches,
  planNodeKinds,
  representations,
  sleep,
  startExecutorGraph,
  type ExecutorGraph,
  type TestSubgraph,
  PLANNERS,
} from './harness.js';
import { shop } from './shop.js';

/** Two subgraphs that change one shared total: the order of mutations shows in the results. */
let total = 0;
const adder: TestSubgraph = {
  name: 'adder',
  typeDefs: `${FEDERATION_2_3(['@key'])}
    type Mutation {
      add(amount: Int!): AddResult!
    }
    type AddResult {
      total: Int!
    }`,
  resolvers: {
    Mutation: {
      // Slow, so that a mutation started at the same time would finish first.
      add: async (_: unknown, { amount }: { amount: number }) => {
        await sleep(40);
        total += amount;
        return { total };
      },
    },
  },
};
const multiplier: TestSubgraph = {
  name: 'multiplier',
  typeDefs: `${FEDERATION_2_3(['@key'])}
    type Mutation {
      multiply(factor: Int!): MultiplyResult!
    }
    type MultiplyResult {
      total: Int!
      "The product whose price is the total, if any: an entity of another subgraph."
      pricedProduct: Product
    }
    type Product @key(fields: "upc", resolvable: false) {
      upc: String!
    }`,
  resolvers: {
    Mutation: {
      multiply: (_: unknown, { factor }: { factor: number }) => {
        total *= factor;
        return { total };
      },
    },
    MultiplyResult: {
      pricedProduct: ({ total }: { total: number }) => (total === 54 ? { upc: 'p3' } : null),
    },
  },
};

describe.each(PLANNERS)('planner: %s', (planner) => {
  let graph: ExecutorGraph;
  beforeAll(async () => {
    graph = await startExecutorGraph([...shop(), adder, multiplier], { planner });
  });
  afterAll(async () => {
    await graph?.close();
  });
  beforeEach(() => graph.resetFetches());

  describe('aliases', () => {
    it('the same root field twice with different arguments', async () => {
      const r = await graph.query(`{
        cheap: search(filter: { maxPrice: 100 }) { name }
        all: search(filter: { sort: DESC }) { name }
      }`);
      expect(r.body).toEqual({
        data: {
          cheap: [{ name: 'Chair' }],
          all: [{ name: 'Couch' }, { name: 'Table' }, { name: 'Chair' }],
        },
      });
    });

    it('aliases on entity fields, and one entity field twice with different arguments', async () => {
      const r = await graph.query(`{
        topProducts(first: 2) {
          n: name
          stock: inStock
          good: reviews(minStars: 4) { s: stars }
          all: reviews { s: stars }
        }
      }`);
      expect(r.body).toEqual({
        data: {
          topProducts: [
            { n: 'Table', stock: true, good: [{ s: 5 }], all: [{ s: 5 }, { s: 2 }] },
            { n: 'Couch', stock: false, good: [], all: [{ s: 3 }] },
          ],
        },
      });
    });

    it('an alias on the key field the gateway also needs under its own name', async () => {
      const r = await graph.query(`{ topProducts(first: 2) { code: upc inStock } }`);
      expect(r.body).toEqual({
        data: {
          topProducts: [
            { code: 'p1', inStock: true },
            { code: 'p2', inStock: false },
          ],
        },
      });
      expect(representations(graph.fetches('inventory'))).toEqual([
        { __typename: 'Product', upc: 'p1' },
        { __typename: 'Product', upc: 'p2' },
      ]);
    });

    it('an aliased root field whose entity is completed by another subgraph', async () => {
      const r = await graph.query(`{ mine: me { handle: username written: reviews { b: body } } }`);
      expect(r.body).toEqual({
        data: {
          mine: { handle: 'ada', written: [{ b: 'Love it!' }, { b: 'Could be better.' }] },
        },
      });
    });
  });

  describe('fragments', () => {
    it('named fragments, nested, spanning subgraphs, with inline fragments inside', async () => {
      const r = await graph.query(`
        query {
          topProducts(first: 1) { ...ProductCard }
        }
        fragment ProductCard on Product {
          name
          ...Stock
          reviews { ...ReviewLine }
        }
        fragment Stock on Product {
          inStock
          shippingEstimate
        }
        fragment ReviewLine on Review {
          stars
          ... on Review { author { ... { name } } }
        }
      `);
      expect(r.body).toEqual({
        data: {
          topProducts: [
            {
              name: 'Table',
              inStock: true,
              shippingEstimate: 50,
              reviews: [
                { stars: 5, author: { name: 'Ada Lovelace' } },
                { stars: 2, author: { name: 'Grace Hopper' } },
              ],
            },
          ],
        },
      });
    });

    it('the same field in a selection and in a fragment merges both sub-selections', async () => {
      const r = await graph.query(`
        { topProducts(first: 1) { reviews { body } ...Authors } }
        fragment Authors on Product { reviews { author { username } } }
      `);
      expect(r.body).toEqual({
        data: {
          topProducts: [
            {
              reviews: [
                { body: 'Love it!', author: { username: 'ada' } },
                { body: 'Too expensive.', author: { username: 'grace' } },
              ],
            },
          ],
        },
      });
    });

    it('the fields of a response keep the order of the query, not of the subgraphs', async () => {
      const r = await graph.query(
        `{ topProducts(first: 1) { inStock ...N upc } } fragment N on Product { name }`,
      );
      expect(Object.keys(r.body.data.topProducts[0])).toEqual(['inStock', 'name', 'upc']);
    });
  });

  describe('__typename', () => {
    it('at every level, including the root and entities from other subgraphs', async () => {
      const r = await graph.query(`{
        __typename
        topProducts(first: 1) {
          __typename
          reviews { __typename author { __typename username } }
        }
        me { __typename }
      }`);
      expect(r.body).toEqual({
        data: {
          __typename: 'Query',
          topProducts: [
            {
              __typename: 'Product',
              reviews: [
                { __typename: 'Review', author: { __typename: 'User', username: 'ada' } },
                { __typename: 'Review', author: { __typename: 'User', username: 'grace' } },
              ],
            },
          ],
          me: { __typename: 'User' },
        },
      });
    });

    it('aliased, twice, and alone on an entity of another subgraph', async () => {
      const r = await graph.query(`{
        latestReviews { kind: __typename product { t1: __typename t2: __typename } }
      }`);
      const review = { kind: 'Review', product: { t1: 'Product', t2: 'Product' } };
      expect(r.body).toEqual({ data: { latestReviews: [review, review, review, review] } });
    });

    it('on the mutation root', async () => {
      const r = await graph.query(`mutation { __typename }`);
      expect(r.body).toEqual({ data: { __typename: 'Mutation' } });
    });
  });

  describe('variables', () => {
    it('a list variable reaches the subgraph as a variable', async () => {
      const r = await graph.query(
        `query ($upcs: [String!]!) { productsByUpc(upcs: $upcs) { name } }`,
        { upcs: ['p2', 'p1'] },
      );
      expect(r.body).toEqual({ data: { productsByUpc: [{ name: 'Couch' }, { name: 'Table' }] } });
      expect(graph.fetches('products')[0]!.variables).toMatchObject({ upcs: ['p2', 'p1'] });
    });

    it('an input object variable with a nested list and an enum', async () => {
      const filter = { maxPrice: 1000, nameIn: ['Table', 'Chair', 'Couch'], sort: 'DESC' };
      const r = await graph.query(
        `query ($filter: ProductFilter!) { search(filter: $filter) { name } }`,
        { filter },
      );
      expect(r.body).toEqual({ data: { search: [{ name: 'Table' }, { name: 'Chair' }] } });
      expect(graph.fetches('products')[0]!.variables).toMatchObject({ filter });
    });

    it('a variable used inside an entity fetch travels with the representations', async () => {
      const r = await graph.query(
        `query ($min: Int) { topProducts { name reviews(minStars: $min) { stars } } }`,
        { min: 4 },
      );
      expect(r.body).toEqual({
        data: {
          topProducts: [
            { name: 'Table', reviews: [{ stars: 5 }] },
            { name: 'Couch', reviews: [] },
            { name: 'Chair', reviews: [{ stars: 4 }] },
          ],
        },
      });
      const [fetch] = graph.fetches('reviews');
      expect(fetch!.variables.min).toBe(4);
      expect(fetch!.variables.representations).toHaveLength(3);
    });

    it("a variable's default value applies when the client sends none", async () => {
      const r = await graph.query(
        `query ($first: Int = 2) { topProducts(first: $first) { name } }`,
      );
      expect(r.body).toEqual({ data: { topProducts: [{ name: 'Table' }, { name: 'Couch' }] } });
    });

    it('an invalid variable is refused before any subgraph is asked', async () => {
      const r = await graph.query(
        `query ($upcs: [String!]!) { productsByUpc(upcs: $upcs) { name } }`,
        {
          upcs: [1, null],
        },
      );
      expect(r.status).toBe(400);
      expect(r.body.data).toBeUndefined();
      expect(r.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(graph.fetches('products')).toHaveLength(0);
    });
  });

  describe('mutations', () => {
    it('root mutation fields of different subgraphs run one after another, in document order', async () => {
      total = 0;
      const q = `mutation {
        first: add(amount: 3) { total }
        second: multiply(factor: 18) { total pricedProduct { name price } }
        third: add(amount: 1) { total }
      }`;
      const plan = graph.plan(q);
      expect(planNodeKinds(plan)[0]).toBe('Sequence');
      // The mutations in document order; Apollo fetches the product between the second and the
      // third, Hive after the third: both are serial, and the product answers the second.
      const fetches = planFetches(plan);
      expect(fetches.filter((f) => !f.entity).map((f) => f.serviceName)).toEqual([
        'adder',
        'multiplier',
        'adder',
      ]);
      expect(fetches.filter((f) => f.entity).map((f) => f.serviceName)).toEqual(['products']);
      const r = await graph.query(q);
      expect(r.body).toEqual({
        data: {
          first: { total: 3 },
          second: { total: 54, pricedProduct: { name: 'Chair', price: 54 } },
          third: { total: 55 },
        },
      });
      expect(total).toBe(55);
    });
  });

  describe('identical entity fetches in one operation', () => {
    it('the same entity list under two aliases: both complete and equal', async () => {
      const r = await graph.query(`{
        a: topProducts(first: 2) { upc reviews { stars } inStock }
        b: topProducts(first: 2) { upc reviews { stars } inStock }
      }`);
      const products = [
        { upc: 'p1', reviews: [{ stars: 5 }, { stars: 2 }], inStock: true },
        { upc: 'p2', reviews: [{ stars: 3 }], inStock: false },
      ];
      expect(r.body).toEqual({ data: { a: products, b: products } });
    });

    it('one entity reached along three paths gets its fields on each', async () => {
      const r = await graph.query(`{
        one: product(upc: "p1") { inStock }
        two: product(upc: "p1") { inStock shippingEstimate }
        topProducts(first: 1) { upc inStock }
      }`);
      expect(r.body).toEqual({
        data: {
          one: { inStock: true },
          two: { inStock: true, shippingEstimate: 50 },
          topProducts: [{ upc: 'p1', inStock: true }],
        },
      });
    });

    it('the same author under many reviews is filled in at every place', async () => {
      const r = await graph.query(`{ latestReviews { author { name } } }`);
      expect(r.body).toEqual({
        data: {
          latestReviews: [
            { author: { name: 'Grace Hopper' } },
            { author: { name: 'Ada Lovelace' } },
            { author: { name: 'Grace Hopper' } },
            { author: { name: 'Ada Lovelace' } },
          ],
        },
      });
    });
  });
});
