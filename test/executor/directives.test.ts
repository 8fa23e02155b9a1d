import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  FEDERATION_2_3,
  planFetches,
  planNodeKinds,
  representations,
  startExecutorGraph,
  type ExecutorGraph,
  type TestSubgraph,
  PLANNERS,
} from './harness.js';

/**
 * Parcels and depots: warehouse owns them, shipping @requires warehouse's fields (one nested),
 * tracking knows depots by another key; orders @provides a customer's name that customers owns.
 */
const PARCELS = [
  { id: 'x1', label: 'Books', weightKg: 2.5, dimensions: { width: 30, height: 20, depth: 10 } },
  { id: 'x2', label: 'Lamp', weightKg: 1, dimensions: { width: 10, height: 50, depth: 12 } },
];
const DEPOTS = [
  { country: 'NO', code: 'OSL', uuid: 'd-1', name: 'Oslo' },
  { country: 'SE', code: 'OSL', uuid: 'd-2', name: 'Oskarshamn' },
];
const CUSTOMERS = [
  { id: 'c1', name: 'Alice', email: 'alice@example.org' },
  { id: 'c2', name: 'Bob', email: 'bob@example.org' },
];
const parcel = (id: string) => PARCELS.find((p) => p.id === id);

const warehouse: TestSubgraph = {
  name: 'warehouse',
  typeDefs: `${FEDERATION_2_3(['@key', '@shareable'])}
    type Query {
      parcels: [Parcel!]!
      depots: [Depot!]!
    }
    type Parcel @key(fields: "id") {
      id: ID!
      label: String! @shareable
      weightKg: Float!
      dimensions: Dimensions!
    }
    type Dimensions @shareable {
      width: Int!
      height: Int!
      depth: Int!
    }
    type Depot @key(fields: "country code") @key(fields: "uuid") {
      country: String!
      code: String!
      uuid: ID!
      name: String!
    }`,
  resolvers: {
    Query: { parcels: () => PARCELS, depots: () => DEPOTS },
    Parcel: { __resolveReference: (ref: { id: string }) => parcel(ref.id) },
    Depot: {
      __resolveReference: (ref: { uuid?: string; country?: string; code?: string }) =>
        DEPOTS.find((d) =>
          ref.uuid ? d.uuid === ref.uuid : d.country === ref.country && d.code === ref.code,
        ),
    },
  },
};

interface ParcelWithRequires {
  id: string;
  weightKg: number;
  dimensions: { width: number; height: number; depth: number };
}
const shipping: TestSubgraph = {
  name: 'shipping',
  typeDefs: `${FEDERATION_2_3(['@key', '@shareable', '@external', '@requires'])}
    type Parcel @key(fields: "id") {
      id: ID!
      label: String! @shareable
      weightKg: Float! @external
      dimensions: Dimensions! @external
      "Needs a nested selection of another subgraph's field."
      volume: Int! @requires(fields: "dimensions { width height depth }")
      "Needs a scalar and part of an object."
      cost: Int! @requires(fields: "weightKg dimensions { depth }")
    }
    type Dimensions @shareable {
      width: Int!
      height: Int!
      depth: Int!
    }
    type Depot @key(fields: "country code") {
      country: String!
      code: String!
      capacity: Int!
    }`,
  resolvers: {
    Parcel: {
      __resolveReference: (ref: ParcelWithRequires) => ({ ...ref, label: parcel(ref.id)?.label }),
      volume: (p: ParcelWithRequires) => {
        const { width, height, depth } = p.dimensions;
        return width * height * depth;
      },
      cost: (p: ParcelWithRequires) => Math.round(p.weightKg * 10 + p.dimensions.depth),
    },
    Depot: {
      __resolveReference: (ref: { country: string; code: string }) => ref,
      capacity: (d: { country: string; code: string }) => (d.country === 'NO' ? 100 : 40),
    },
  },
};

const tracking: TestSubgraph = {
  name: 'tracking',
  typeDefs: `${FEDERATION_2_3(['@key'])}
    type Query {
      busiestDepot: Depot
      lastScanned: Parcel
    }
    type Depot @key(fields: "uuid") {
      uuid: ID!
      openNow: Boolean!
    }
    type Parcel @key(fields: "id", resolvable: false) {
      id: ID!
    }`,
  resolvers: {
    Query: { busiestDepot: () => ({ uuid: 'd-2' }), lastScanned: () => ({ id: 'x2' }) },
    Depot: {
      __resolveReference: (ref: { uuid: string }) => ref,
      openNow: (d: { uuid: string }) => d.uuid === 'd-1',
    },
  },
};

const orders: TestSubgraph = {
  name: 'orders',
  typeDefs: `${FEDERATION_2_3(['@key', '@external', '@provides'])}
    type Query {
      orders: [Order!]!
    }
    type Order @key(fields: "id") {
      id: ID!
      "Loaded with the order, name included."
      customer: Customer! @provides(fields: "name")
      "Only the reference."
      payer: Customer!
    }
    type Customer @key(fields: "id") {
      id: ID!
      name: String! @external
    }`,
  resolvers: {
    Query: {
      orders: () => [
        { id: 'o1', customerId: 'c1', payerId: 'c2' },
        { id: 'o2', customerId: 'c2', payerId: 'c2' },
      ],
    },
    Order: {
      customer: (o: { customerId: string }) => CUSTOMERS.find((c) => c.id === o.customerId),
      payer: (o: { payerId: string }) => ({ id: o.payerId }),
    },
  },
};

const customers: TestSubgraph = {
  name: 'customers',
  typeDefs: `${FEDERATION_2_3(['@key', '@shareable'])}
    type Customer @key(fields: "id") {
      id: ID!
      name: String! @shareable
      email: String!
    }`,
  resolvers: {
    Customer: {
      __resolveReference: (ref: { id: string }) => CUSTOMERS.find((c) => c.id === ref.id),
    },
  },
};

describe.each(PLANNERS)('planner: %s', (planner) => {
  let graph: ExecutorGraph;
  beforeAll(async () => {
    graph = await startExecutorGraph([warehouse, shipping, tracking, orders, customers], {
      planner,
    });
  });
  afterAll(async () => {
    await graph?.close();
  });
  beforeEach(() => graph.resetFetches());

  describe('@requires and @external', () => {
    it('sends the required fields, nested selection included, in the representations', async () => {
      const q = `{ parcels { id volume cost } }`;
      expect(planFetches(graph.plan(q))).toEqual([
        { serviceName: 'warehouse', entity: false },
        { serviceName: 'shipping', entity: true },
      ]);
      const r = await graph.query(q);
      expect(r.body).toEqual({
        data: {
          parcels: [
            { id: 'x1', volume: 6000, cost: 35 },
            { id: 'x2', volume: 6000, cost: 22 },
          ],
        },
      });
      expect(representations(graph.fetches('shipping'))).toEqual([
        {
          __typename: 'Parcel',
          id: 'x1',
          weightKg: 2.5,
          dimensions: { width: 30, height: 20, depth: 10 },
        },
        {
          __typename: 'Parcel',
          id: 'x2',
          weightKg: 1,
          dimensions: { width: 10, height: 50, depth: 12 },
        },
      ]);
    });

    it('does not return required fields the client did not ask for', async () => {
      const r = await graph.query(`{ parcels { volume } }`);
      expect(r.body).toEqual({ data: { parcels: [{ volume: 6000 }, { volume: 6000 }] } });
    });

    it('an @external field is read from the subgraph that owns it', async () => {
      const r = await graph.query(`{ parcels { cost weightKg dimensions { depth } } }`);
      expect(r.body).toEqual({
        data: {
          parcels: [
            { cost: 35, weightKg: 2.5, dimensions: { depth: 10 } },
            { cost: 22, weightKg: 1, dimensions: { depth: 12 } },
          ],
        },
      });
      // shipping only receives the external fields in representations; it is never asked for them.
      expect(graph.fetches('shipping')).toHaveLength(1);
      expect(graph.fetches('shipping')[0]!.query).not.toMatch(/weightKg|depth/);
      expect(graph.fetches('warehouse')).toHaveLength(1);
    });

    it('fetches the required fields of an entity first reached in a third subgraph', async () => {
      const q = `{ lastScanned { id volume } }`;
      const services = planFetches(graph.plan(q)).map((f) => f.serviceName);
      expect(services).toEqual(['tracking', 'warehouse', 'shipping']);
      const r = await graph.query(q);
      expect(r.body).toEqual({ data: { lastScanned: { id: 'x2', volume: 6000 } } });
    });
  });

  describe('@provides', () => {
    it('uses the provided field without asking the subgraph that owns it', async () => {
      const q = `{ orders { id customer { name } } }`;
      expect(planNodeKinds(graph.plan(q))).toEqual(['Fetch']);
      const r = await graph.query(q);
      expect(r.body).toEqual({
        data: {
          orders: [
            { id: 'o1', customer: { name: 'Alice' } },
            { id: 'o2', customer: { name: 'Bob' } },
          ],
        },
      });
      expect(graph.fetches('orders')).toHaveLength(1);
      expect(graph.fetches('customers')).toHaveLength(0);
    });

    it('asks the owner for the same field where it is not provided', async () => {
      const q = `{ orders { customer { name } payer { name } } }`;
      const r = await graph.query(q);
      expect(r.body).toEqual({
        data: {
          orders: [
            { customer: { name: 'Alice' }, payer: { name: 'Bob' } },
            { customer: { name: 'Bob' }, payer: { name: 'Bob' } },
          ],
        },
      });
      expect(graph.fetches('customers').length).toBeGreaterThan(0);
      // Only payers were asked for: every customer's name came with the order.
      for (const f of graph.fetches('customers')) expect(f.query).toContain('name');
      expect(new Set(representations(graph.fetches('customers')).map((c) => c.id))).toEqual(
        new Set(['c2']),
      );
    });

    it('asks the owner for the fields it does not provide', async () => {
      const r = await graph.query(`{ orders { customer { name email } } }`);
      expect(r.body).toEqual({
        data: {
          orders: [
            { customer: { name: 'Alice', email: 'alice@example.org' } },
            { customer: { name: 'Bob', email: 'bob@example.org' } },
          ],
        },
      });
      expect(representations(graph.fetches('customers'))).toEqual([
        { __typename: 'Customer', id: 'c1' },
        { __typename: 'Customer', id: 'c2' },
      ]);
    });
  });

  describe('@shareable', () => {
    it('a shareable field comes from the subgraph already being fetched, in one fetch', async () => {
      const q = `{ parcels { label } }`;
      expect(planNodeKinds(graph.plan(q))).toEqual(['Fetch']);
      const r = await graph.query(q);
      expect(r.body).toEqual({ data: { parcels: [{ label: 'Books' }, { label: 'Lamp' }] } });
      expect(graph.fetches('shipping')).toHaveLength(0);
    });

    it('a shareable field on an entity is resolved by one of its subgraphs', async () => {
      const q = `{ lastScanned { label volume } }`;
      const r = await graph.query(q);
      expect(r.body).toEqual({ data: { lastScanned: { label: 'Lamp', volume: 6000 } } });
      const asked = ['warehouse', 'shipping'].flatMap((name) =>
        graph.fetches(name).filter((f) => /\blabel\b/.test(f.query)),
      );
      expect(asked).toHaveLength(1);
    });
  });

  describe('@key: composite and multiple keys', () => {
    it('sends the composite key to one subgraph and the other key to another', async () => {
      const q = `{ depots { name capacity openNow } }`;
      expect(planNodeKinds(graph.plan(q))).toContain('Parallel');
      const r = await graph.query(q);
      expect(r.body).toEqual({
        data: {
          depots: [
            { name: 'Oslo', capacity: 100, openNow: true },
            { name: 'Oskarshamn', capacity: 40, openNow: false },
          ],
        },
      });
      expect(representations(graph.fetches('shipping'))).toEqual([
        { __typename: 'Depot', country: 'NO', code: 'OSL' },
        { __typename: 'Depot', country: 'SE', code: 'OSL' },
      ]);
      expect(representations(graph.fetches('tracking'))).toEqual([
        { __typename: 'Depot', uuid: 'd-1' },
        { __typename: 'Depot', uuid: 'd-2' },
      ]);
    });

    it('goes through the subgraph that knows both keys to turn one key into the other', async () => {
      const q = `{ busiestDepot { openNow capacity name } }`;
      expect(planFetches(graph.plan(q)).map((f) => f.serviceName)).toEqual([
        'tracking',
        'warehouse',
        'shipping',
      ]);
      const r = await graph.query(q);
      expect(r.body).toEqual({
        data: { busiestDepot: { openNow: false, capacity: 40, name: 'Oskarshamn' } },
      });
      expect(representations(graph.fetches('warehouse'))).toEqual([
        { __typename: 'Depot', uuid: 'd-2' },
      ]);
      expect(representations(graph.fetches('shipping'))).toEqual([
        { __typename: 'Depot', country: 'SE', code: 'OSL' },
      ]);
    });

    it('returns key fields the client asks for, and no others', async () => {
      const r = await graph.query(`{ busiestDepot { capacity } }`);
      expect(r.body).toEqual({ data: { busiestDepot: { capacity: 40 } } });
    });
  });
});
