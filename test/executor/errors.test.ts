import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../platform/graphql/errors.js';
import {
  FEDERATION_2_3,
  planNodeKinds,
  sleep,
  startExecutorGraph,
  type ExecutorGraph,
  type Interception,
  type TestSubgraph,
  PLANNERS,
} from './harness.js';

/**
 * `catalog` owns items and fails on some root fields; `details` adds fields to items, some of
 * which fail for one item; `stock` is stopped by a test; `slow` answers after the gateway's
 * deadline. A test can make `catalog` or `details` answer like a broken service.
 */
const ITEMS = [
  { id: 'i1', name: 'One' },
  { id: 'i2', name: 'Two' },
  { id: 'i3', name: 'Three' },
];
const item = (id: string) => ITEMS.find((i) => i.id === id);

type Failure = 'http500' | 'errorsOnly' | null;
let catalogFailure: Failure = null;
let detailsFailure: Failure = null;
const failAs = (failure: Failure): Interception | undefined =>
  failure === 'http500'
    ? { status: 500, body: 'Internal Server Error' }
    : failure === 'errorsOnly'
      ? { status: 200, body: { errors: [{ message: 'Exploded.', extensions: { code: 'BOOM' } }] } }
      : undefined;

const catalog: TestSubgraph = {
  name: 'catalog',
  typeDefs: `${FEDERATION_2_3(['@key'])}
    type Query {
      ok: String
      broken: String
      wrapper: Wrapper
      items: [Item]!
      strictItems: [Item!]
      requiredItems: [Item!]!
      grid: [[Item]!]!
    }
    type Wrapper {
      required: String!
      optional: String
    }
    type Item @key(fields: "id") {
      id: ID!
      name: String!
    }`,
  resolvers: {
    Query: {
      ok: () => 'fine',
      broken: () => {
        throw new Error('broken is broken');
      },
      wrapper: () => ({}),
      items: () => ITEMS,
      strictItems: () => ITEMS,
      requiredItems: () => ITEMS,
      grid: () => [[ITEMS[0]], [ITEMS[1], ITEMS[2]]],
    },
    Wrapper: {
      required: () => {
        throw new Error('required is missing');
      },
      optional: () => 'here',
    },
    Item: { __resolveReference: (ref: { id: string }) => item(ref.id) },
  },
  intercept: () => failAs(catalogFailure),
};

const details: TestSubgraph = {
  name: 'details',
  typeDefs: `${FEDERATION_2_3(['@key'])}
    type Item @key(fields: "id") {
      id: ID!
      "Fails for i2, with a code of its own."
      rating: Int
      "Fails for i3."
      sku: String!
      parts: [Part!]!
    }
    type Part {
      name: String!
      "Fails for bolts."
      weight: Int
    }`,
  resolvers: {
    Item: {
      __resolveReference: (ref: { id: string }) => ref,
      rating: ({ id }: { id: string }) => {
        if (id === 'i2')
          throw Object.assign(new Error('No rating for i2.'), {
            extensions: { code: 'NO_RATING' },
          });
        return 4;
      },
      sku: ({ id }: { id: string }) => {
        if (id === 'i3') throw new Error('No SKU for i3.');
        return `SKU-${id}`;
      },
      parts: ({ id }: { id: string }) => (id === 'i1' ? [{ name: 'nut' }, { name: 'bolt' }] : []),
    },
    Part: {
      weight: ({ name }: { name: string }) => {
        if (name === 'bolt') throw new Error('Bolts weigh nothing.');
        return 2;
      },
    },
  },
  intercept: () => failAs(detailsFailure),
};

const stock: TestSubgraph = {
  name: 'stock',
  typeDefs: `${FEDERATION_2_3(['@key'])}
    type Query {
      stockReport: String
    }
    type Item @key(fields: "id") {
      id: ID!
      stock: Int
    }`,
  resolvers: {
    Query: { stockReport: () => 'all counted' },
    Item: { __resolveReference: (ref: { id: string }) => ref, stock: () => 7 },
  },
};

const slow: TestSubgraph = {
  name: 'slow',
  typeDefs: `${FEDERATION_2_3(['@key'])}
    type Item @key(fields: "id") {
      id: ID!
      eventually: Int
    }`,
  resolvers: {
    Item: {
      __resolveReference: (ref: { id: string }) => ref,
      eventually: async () => {
        await sleep(2_000);
        return 1;
      },
    },
  },
};

describe.each(PLANNERS)('planner: %s', (planner) => {
  let graph: ExecutorGraph;
  beforeAll(async () => {
    graph = await startExecutorGraph([catalog, details, stock, slow], {
      planner,
      timeouts: { slow: 300 },
    });
  });
  afterAll(async () => {
    await graph?.close();
  });
  beforeEach(() => graph.resetFetches());
  afterEach(() => {
    catalogFailure = null;
    detailsFailure = null;
  });

  describe('subgraph field errors reach the client with their path', () => {
    it('a root field', async () => {
      const r = await graph.query(`{ broken ok }`);
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual({ broken: null, ok: 'fine' });
      expect(r.body.errors).toHaveLength(1);
      expect(r.body.errors[0]).toMatchObject({
        message: 'broken is broken',
        path: ['broken'],
        extensions: { serviceName: 'catalog' },
      });
    });

    it("an entity field in a list: the client's path with the list index, the subgraph's code kept", async () => {
      const r = await graph.query(`{ items { id rating } }`);
      expect(r.body.data).toEqual({
        items: [
          { id: 'i1', rating: 4 },
          { id: 'i2', rating: null },
          { id: 'i3', rating: 4 },
        ],
      });
      expect(r.body.errors).toHaveLength(1);
      expect(r.body.errors[0]).toMatchObject({
        message: 'No rating for i2.',
        path: ['items', 1, 'rating'],
        extensions: { code: 'NO_RATING', serviceName: 'details' },
      });
    });

    it('aliases in the path are the ones the client chose', async () => {
      const r = await graph.query(`{ first: items { r: rating } }`);
      expect(r.body.data).toEqual({ first: [{ r: 4 }, { r: null }, { r: 4 }] });
      expect(r.body.errors).toHaveLength(1);
      expect(r.body.errors[0]).toMatchObject({
        message: 'No rating for i2.',
        path: ['first', 1, 'r'],
      });
    });

    it('nested lists give one index per level', async () => {
      const r = await graph.query(`{ grid { id rating } }`);
      expect(r.body.data).toEqual({
        grid: [
          [{ id: 'i1', rating: 4 }],
          [
            { id: 'i2', rating: null },
            { id: 'i3', rating: 4 },
          ],
        ],
      });
      expect(r.body.errors).toHaveLength(1);
      expect(r.body.errors[0]).toMatchObject({
        message: 'No rating for i2.',
        path: ['grid', 1, 0, 'rating'],
      });
    });

    it('an error deep inside an entity: path through the client response, not _entities', async () => {
      const r = await graph.query(`{ items { name parts { name weight } } }`);
      expect(r.body.data).toEqual({
        items: [
          {
            name: 'One',
            parts: [
              { name: 'nut', weight: 2 },
              { name: 'bolt', weight: null },
            ],
          },
          { name: 'Two', parts: [] },
          { name: 'Three', parts: [] },
        ],
      });
      expect(r.body.errors).toHaveLength(1);
      expect(r.body.errors[0]).toMatchObject({
        message: 'Bolts weigh nothing.',
        path: ['items', 0, 'parts', 1, 'weight'],
        extensions: { serviceName: 'details' },
      });
    });

    it('errors from two subgraphs in one response each keep their own path', async () => {
      const r = await graph.query(`{ broken items { rating } }`);
      expect(r.body.data).toEqual({
        broken: null,
        items: [{ rating: 4 }, { rating: null }, { rating: 4 }],
      });
      const found = (r.body.errors as any[])
        .map((e) => ({ message: e.message, path: e.path }))
        .sort((a, b) => a.message.localeCompare(b.message));
      expect(found).toEqual([
        { message: 'broken is broken', path: ['broken'] },
        { message: 'No rating for i2.', path: ['items', 1, 'rating'] },
      ]);
    });
  });

  describe('null propagation', () => {
    it('an error on a nullable field nulls only that field', async () => {
      const r = await graph.query(`{ items { id name rating } ok }`);
      expect(r.body.data).toEqual({
        items: [
          { id: 'i1', name: 'One', rating: 4 },
          { id: 'i2', name: 'Two', rating: null },
          { id: 'i3', name: 'Three', rating: 4 },
        ],
        ok: 'fine',
      });
    });

    it('an error on a non-null field of an entity nulls the entity, its nearest nullable parent', async () => {
      const r = await graph.query(`{ items { id sku } ok }`);
      expect(r.body.data).toEqual({
        items: [{ id: 'i1', sku: 'SKU-i1' }, { id: 'i2', sku: 'SKU-i2' }, null],
        ok: 'fine',
      });
      expect(r.body.errors).toHaveLength(1);
      expect(r.body.errors[0]).toMatchObject({
        message: 'No SKU for i3.',
        path: ['items', 2, 'sku'],
      });
    });

    it('in a list of non-null entities, the error nulls the whole (nullable) list', async () => {
      const r = await graph.query(`{ strictItems { id sku } ok }`);
      expect(r.body.data).toEqual({ strictItems: null, ok: 'fine' });
      expect(r.body.errors).toHaveLength(1);
      expect(r.body.errors[0]).toMatchObject({
        message: 'No SKU for i3.',
        path: ['strictItems', 2, 'sku'],
      });
    });

    it('with nothing nullable on the way up, data itself is null', async () => {
      const r = await graph.query(`{ requiredItems { sku } ok }`);
      expect(r.body.data).toBeNull();
      expect(r.body.errors).toHaveLength(1);
      expect(r.body.errors[0]).toMatchObject({
        message: 'No SKU for i3.',
        path: ['requiredItems', 2, 'sku'],
      });
    });

    it('a non-null field failing within one subgraph nulls its parent object', async () => {
      const r = await graph.query(`{ wrapper { required optional } ok }`);
      expect(r.body.data).toEqual({ wrapper: null, ok: 'fine' });
      expect(r.body.errors).toHaveLength(1);
      expect(r.body.errors[0]).toMatchObject({
        message: 'required is missing',
        path: ['wrapper', 'required'],
      });
    });
  });

  describe('a failing entity fetch leaves the rest of the data intact', () => {
    const QUERY = `{ items { id name rating } ok }`;
    const WITHOUT_RATINGS = {
      items: [
        { id: 'i1', name: 'One', rating: null },
        { id: 'i2', name: 'Two', rating: null },
        { id: 'i3', name: 'Three', rating: null },
      ],
      ok: 'fine',
    };

    it('the subgraph answers HTTP 500', async () => {
      detailsFailure = 'http500';
      expect(planNodeKinds(graph.plan(QUERY))).toContain('Flatten');
      const r = await graph.query(QUERY);
      // A response with data is a GraphQL success over application/json (GraphQL over HTTP): the
      // subgraph's status is not the client's.
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual(WITHOUT_RATINGS);
      expect(r.body.errors).toHaveLength(1);
      expect(r.body.errors[0].extensions.serviceName).toBe('details');
      expect(graph.fetches('details')).toHaveLength(1);
    });

    it('the subgraph answers only errors: they reach the client, with their code', async () => {
      detailsFailure = 'errorsOnly';
      const r = await graph.query(QUERY);
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual(WITHOUT_RATINGS);
      expect(r.body.errors).toHaveLength(1);
      expect(r.body.errors[0]).toMatchObject({
        message: 'Exploded.',
        extensions: { code: 'BOOM', serviceName: 'details' },
      });
    });

    it('when the missing field is non-null, each entity is nulled and the siblings stay', async () => {
      detailsFailure = 'http500';
      const r = await graph.query(`{ items { id sku } ok }`);
      expect(r.body.data).toEqual({ items: [null, null, null], ok: 'fine' });
      expect(r.body.errors.length).toBeGreaterThan(0);
      expect(r.body.errors[0].extensions.serviceName).toBe('details');
    });

    it('a failing root fetch never asks for the entities it would have yielded', async () => {
      catalogFailure = 'http500';
      const r = await graph.query(`{ items { rating } }`);
      expect(r.body.data).toBeNull();
      expect(r.body.errors.length).toBeGreaterThan(0);
      expect(r.body.errors[0].extensions.serviceName).toBe('catalog');
      expect(graph.fetches('details')).toHaveLength(0);
    });

    it('a subgraph past its deadline: SUBGRAPH_TIMEOUT, the rest intact', async () => {
      const r = await graph.query(`{ items { name eventually } ok }`);
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual({
        items: [
          { name: 'One', eventually: null },
          { name: 'Two', eventually: null },
          { name: 'Three', eventually: null },
        ],
        ok: 'fine',
      });
      expect(r.body.errors).toHaveLength(1);
      expect(r.body.errors[0].extensions).toMatchObject({
        code: ErrorCode.SUBGRAPH_TIMEOUT,
        serviceName: 'slow',
      });
    });
  });

  describe('a subgraph that is down', () => {
    beforeAll(async () => {
      await graph.stopSubgraph('stock');
    });

    it('an entity fetch to it: SUBGRAPH_UNAVAILABLE naming it, the rest intact', async () => {
      const r = await graph.query(`{ items { name stock } ok }`);
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual({
        items: [
          { name: 'One', stock: null },
          { name: 'Two', stock: null },
          { name: 'Three', stock: null },
        ],
        ok: 'fine',
      });
      expect(r.body.errors).toHaveLength(1);
      expect(r.body.errors[0].extensions).toMatchObject({
        code: ErrorCode.SUBGRAPH_UNAVAILABLE,
        serviceName: 'stock',
      });
    });

    it('a root fetch to it: SUBGRAPH_UNAVAILABLE, the other root fields answered', async () => {
      const r = await graph.query(`{ stockReport ok }`);
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual({ stockReport: null, ok: 'fine' });
      expect(r.body.errors).toHaveLength(1);
      expect(r.body.errors[0].extensions).toMatchObject({
        code: ErrorCode.SUBGRAPH_UNAVAILABLE,
        serviceName: 'stock',
      });
    });
  });
});
