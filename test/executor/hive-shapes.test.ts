import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  planNodeKinds,
  representations,
  startExecutorGraph,
  type ExecutorGraph,
  type TestSubgraph,
} from './harness.js';

/**
 * Plan shapes only Hive Router's planner gets right: Apollo's (2.14.4) fails the matching
 * federation-gateway-audit cases (keys-mashup_0, requires-with-argument_2/3/4,
 * requires-with-argument-conflict_0), so these run under Hive's planner alone. BatchFetch is a
 * node only Hive's planner makes. Everything else in test/executor runs under both planners.
 */
const link = (version: string, imports: string[]) =>
  `extend schema @link(url: "https://specs.apollo.dev/federation/v${version}", import: ${JSON.stringify(imports)})`;

// A `@requires` with arguments other than the query's: the curator of a shelf is the author of
// its third book, so the lending subgraph needs `books(limit: 3) { authorId }` whatever limit
// the query asks for.
const BOOKS = [
  { id: 'b1', shelf: 's1', authorId: 'x1' },
  { id: 'b2', shelf: 's1', authorId: 'x2' },
  { id: 'b3', shelf: 's1', authorId: 'x3' },
  { id: 'b4', shelf: 's1', authorId: 'x4' },
  { id: 'b5', shelf: 's2', authorId: 'x5' },
  { id: 'b6', shelf: 's2', authorId: 'x6' },
  { id: 'b7', shelf: 's2', authorId: 'x7' },
];
const shelfBooks = (shelf: string, limit: number) =>
  BOOKS.filter((b) => b.shelf === shelf).slice(0, limit);

const catalog: TestSubgraph = {
  name: 'catalog',
  typeDefs: `${link('2.3', ['@key'])}
    type Query { shelves: [Shelf] }
    type Shelf @key(fields: "id") { id: ID! }
    type Book @key(fields: "id") { id: ID! authorId: ID }`,
  resolvers: {
    Query: { shelves: () => [{ id: 's1' }, { id: 's2' }] },
    Book: {
      __resolveReference: (ref: { id: string }) => BOOKS.find((b) => b.id === ref.id) ?? null,
    },
  },
};
const lending: TestSubgraph = {
  name: 'lending',
  typeDefs: `${link('2.3', ['@key', '@external', '@requires'])}
    type Shelf @key(fields: "id") {
      id: ID!
      books(limit: Int!): [Book]
      curator: Person @requires(fields: "books(limit: 3) { authorId }")
    }
    type Book @key(fields: "id") { id: ID! authorId: ID @external }
    type Person { id: ID! }`,
  resolvers: {
    Shelf: {
      __resolveReference: (ref: { id: string; books?: { authorId: string }[] }) => {
        if (ref.books && ref.books.length !== 3) {
          throw new Error(`the curator needs 3 books, got ${ref.books.length}`);
        }
        return { id: ref.id, curatorId: ref.books?.[2]?.authorId };
      },
      books: (shelf: { id: string }, { limit }: { limit: number }) =>
        shelfBooks(shelf.id, limit).map((b) => ({ id: b.id })),
      curator: (shelf: { curatorId?: string }) =>
        shelf.curatorId ? { id: shelf.curatorId } : null,
    },
    Book: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }) },
  },
};

// Two `@requires` of one field with different arguments (requires-with-argument-conflict).
const PARCELS = [
  { id: 'p1', weight: 2, fee: { NOK: 10, EUR: 1 } },
  { id: 'p2', weight: 5, fee: { NOK: 30, EUR: 3 } },
];
const tariff: TestSubgraph = {
  name: 'tariff',
  typeDefs: `${link('2.3', ['@key'])}
    type Query { parcels: [Parcel] }
    type Parcel @key(fields: "id") { id: ID! weight: Int fee(currency: String!): Int }`,
  resolvers: {
    Query: { parcels: () => PARCELS.map((p) => ({ id: p.id })) },
    Parcel: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      weight: (p: { id: string }) => PARCELS.find((x) => x.id === p.id)!.weight,
      fee: (p: { id: string }, { currency }: { currency: 'NOK' | 'EUR' }) =>
        PARCELS.find((x) => x.id === p.id)!.fee[currency],
    },
  },
};
const shipping: TestSubgraph = {
  name: 'shipping',
  typeDefs: `${link('2.3', ['@key', '@external', '@requires'])}
    type Parcel @key(fields: "id") {
      id: ID!
      weight: Int @external
      fee(currency: String!): Int @external
      costNOK: Int @requires(fields: "fee(currency: \\"NOK\\") weight")
      costEUR: Int @requires(fields: "fee(currency: \\"EUR\\") weight")
    }`,
  resolvers: {
    Parcel: {
      // Each requiring field's representation carries the fee in its own currency.
      __resolveReference: (ref: { id: string; fee?: number; weight?: number }) => ref,
      costNOK: (p: { fee: number; weight: number }) => p.fee * p.weight,
      costEUR: (p: { fee: number; weight: number }) => p.fee * p.weight,
    },
  },
};

// A `@requires` fetch whose only resolvable key in the requiring subgraph is a composite one,
// while the owner declares that key non-resolvable (keys-mashup).
const registry: TestSubgraph = {
  name: 'registry',
  typeDefs: `${link('2.5', ['@key'])}
    type Unit
      @key(fields: "id", resolvable: true)
      @key(fields: "code { region number }", resolvable: false)
      @key(fields: "id code { number check }", resolvable: false) {
      id: ID!
      code: Code!
      label: String!
    }
    type Code { region: ID! number: ID! check: ID! }`,
  resolvers: {
    Unit: {
      __resolveReference: (ref: { id: string }) => ({
        id: ref.id,
        code: { region: 'r', number: `n${ref.id}`, check: `c${ref.id}` },
        label: `unit ${ref.id}`,
      }),
    },
  },
};
const links: TestSubgraph = {
  name: 'links',
  typeDefs: `${link('2.5', ['@key', '@requires', '@external'])}
    type Query { group: Group }
    type Group @key(fields: "id") { id: ID! units: [Unit!]! }
    type Unit
      @key(fields: "code { region number }", resolvable: false)
      @key(fields: "id code { number check }", resolvable: true)
      @key(fields: "id", resolvable: false) {
      id: ID!
      code: Code!
      label: String! @external
      labelInLinks: String! @requires(fields: "label")
    }
    type Code { region: ID! number: ID! check: ID! }`,
  resolvers: {
    Query: {
      group: () => ({
        id: 'g1',
        units: [{ id: '1', code: { region: 'r', number: 'n1', check: 'c1' } }],
      }),
    },
    Unit: {
      __resolveReference: (ref: {
        id?: string;
        code?: { number: string; check: string };
        label?: string;
      }) => {
        if (!ref.id || !ref.code?.check) throw new Error('Unit is only resolvable by id and code');
        return ref;
      },
      labelInLinks: (u: { label: string }) => `in links: ${u.label}`,
    },
  },
};

// Two paths to the same entity type in one subgraph: one BatchFetch, each key sent once.
const notes: TestSubgraph = {
  name: 'notes',
  typeDefs: `${link('2.3', ['@key'])}
    type Query { notes: [Note] }
    type Note { id: ID! writer: Person editor: Person }
    type Person @key(fields: "id") { id: ID! }`,
  resolvers: {
    Query: {
      notes: () => [
        { id: 'n1', writer: { id: 'u1' }, editor: { id: 'u2' } },
        { id: 'n2', writer: { id: 'u2' }, editor: { id: 'u1' } },
        { id: 'n3', writer: { id: 'u3' }, editor: { id: 'u1' } },
      ],
    },
  },
};
const people: TestSubgraph = {
  name: 'people',
  typeDefs: `${link('2.3', ['@key'])}
    type Person @key(fields: "id") { id: ID! name: String }`,
  resolvers: {
    Person: { __resolveReference: (ref: { id: string }) => ({ id: ref.id, name: `P${ref.id}` }) },
  },
};

// An entity fetch followed by a fetch of the same subgraph for the fields another subgraph's
// `@requires` needs: Hive plans them apart, the gateway folds the second into the first.
const boxes: TestSubgraph = {
  name: 'boxes',
  typeDefs: `${link('2.3', ['@key'])}
    type Query { box: Box }
    type Box @key(fields: "id") { id: ID! }`,
  resolvers: { Query: { box: () => ({ id: 'x' }) } },
};
const items: TestSubgraph = {
  name: 'items',
  typeDefs: `${link('2.3', ['@key'])}
    type Box @key(fields: "id") { id: ID! items: [Item] }
    type Item @key(fields: "id") { id: ID! title: String kind: String }`,
  resolvers: {
    Box: {
      items: () => [
        { id: 'i1', title: 'one', kind: 'small' },
        { id: 'i2', title: 'two', kind: 'large' },
      ],
    },
    Item: {
      __resolveReference: (ref: { id: string }) => ({
        id: ref.id,
        title: ref.id === 'i1' ? 'one' : 'two',
        kind: ref.id === 'i1' ? 'small' : 'large',
      }),
    },
  },
};
const rules: TestSubgraph = {
  name: 'rules',
  typeDefs: `${link('2.3', ['@key', '@external', '@requires'])}
    type Item @key(fields: "id") { id: ID! kind: String @external rule: String @requires(fields: "kind") }`,
  resolvers: { Item: { rule: (item: { kind: string }) => `rule for ${item.kind}` } },
};

describe("plan shapes of Hive Router's planner", () => {
  let graph: ExecutorGraph;
  beforeAll(async () => {
    graph = await startExecutorGraph(
      [catalog, lending, tariff, shipping, registry, links, boxes, items, rules],
      {
        planner: 'hive',
      },
    );
  });
  afterAll(async () => {
    await graph?.close();
  });

  const CURATORS = {
    data: {
      shelves: [
        { curator: { id: 'x3' }, books: [{ id: 'b1' }] },
        { curator: { id: 'x7' }, books: [{ id: 'b5' }] },
      ],
    },
  };

  it('a @requires with other arguments than the query: the required ones reach the subgraph', async () => {
    const r = await graph.query(`{ shelves { curator { id } books(limit: 1) { id } } }`);
    expect(r.body).toEqual(CURATORS);
  });

  it('the same with the query’s argument in a variable with a default', async () => {
    const r = await graph.query(
      `query ($limit: Int = 1) { shelves { curator { id } books(limit: $limit) { id } } }`,
    );
    expect(r.body).toEqual(CURATORS);
  });

  it('the same with the field in fragments', async () => {
    const r = await graph.query(`query ($limit: Int = 1) { shelves { curator { id } ...A ...B } }
      fragment A on Shelf { books(limit: $limit) { id } }
      fragment B on Shelf { books(limit: $limit) { id } }`);
    expect(r.body).toEqual(CURATORS);
  });

  it('two @requires of one field with different arguments each get their own value', async () => {
    const r = await graph.query(`{ parcels { id weight costNOK costEUR } }`);
    expect(r.body).toEqual({
      data: {
        parcels: [
          { id: 'p1', weight: 2, costNOK: 20, costEUR: 2 },
          { id: 'p2', weight: 5, costNOK: 150, costEUR: 15 },
        ],
      },
    });
  });

  it('a @requires fetch uses the key the requiring subgraph can resolve, composite as it is', async () => {
    graph.resetFetches();
    const r = await graph.query(`{ group { id units { id label labelInLinks } } }`);
    expect(r.body).toEqual({
      data: {
        group: {
          id: 'g1',
          units: [{ id: '1', label: 'unit 1', labelInLinks: 'in links: unit 1' }],
        },
      },
    });
    const sent = representations(graph.fetches('links'));
    expect(sent).toEqual([
      { __typename: 'Unit', id: '1', code: { number: 'n1', check: 'c1' }, label: 'unit 1' },
    ]);
  });
  it('a fetch of the same subgraph for what a @requires needs is folded into the one before', async () => {
    graph.resetFetches();
    const r = await graph.query(`{ box { items { title rule } } }`);
    expect(r.body).toEqual({
      data: {
        box: {
          items: [
            { title: 'one', rule: 'rule for small' },
            { title: 'two', rule: 'rule for large' },
          ],
        },
      },
    });
    expect(graph.fetches('items')).toHaveLength(1);
    expect(representations(graph.fetches('rules'))).toEqual([
      { __typename: 'Item', id: 'i1', kind: 'small' },
      { __typename: 'Item', id: 'i2', kind: 'large' },
    ]);
  });
});

describe("BatchFetch (Hive Router's planner)", () => {
  let graph: ExecutorGraph;
  beforeAll(async () => {
    graph = await startExecutorGraph([notes, people], { planner: 'hive' });
  });
  afterAll(async () => {
    await graph?.close();
  });
  beforeEach(() => graph.resetFetches());

  it('two paths to one entity type are one _entities call, each key sent once', async () => {
    const q = `{ notes { id writer { name } editor { name } } }`;
    expect(planNodeKinds(graph.plan(q))).toContain('BatchFetch');
    const r = await graph.query(q);
    expect(r.body).toEqual({
      data: {
        notes: [
          { id: 'n1', writer: { name: 'Pu1' }, editor: { name: 'Pu2' } },
          { id: 'n2', writer: { name: 'Pu2' }, editor: { name: 'Pu1' } },
          { id: 'n3', writer: { name: 'Pu3' }, editor: { name: 'Pu1' } },
        ],
      },
    });
    const fetches = graph.fetches('people');
    expect(fetches).toHaveLength(1);
    const sent = Object.entries(fetches[0]!.variables).flatMap(([, v]) =>
      Array.isArray(v) ? (v as { id: string }[]).map((p) => p.id) : [],
    );
    expect(sent.sort()).toEqual(['u1', 'u2', 'u3']);
  });

  it('the same query under Apollo’s planner fetches once per path', async () => {
    const apollo = await startExecutorGraph([notes, people], { planner: 'apollo' });
    try {
      const r = await apollo.query(`{ notes { id writer { name } editor { name } } }`);
      expect(r.body.data.notes).toHaveLength(3);
      expect(apollo.fetches('people')).toHaveLength(2);
      expect(
        planNodeKinds(apollo.plan(`{ notes { writer { name } editor { name } } }`)),
      ).not.toContain('BatchFetch');
    } finally {
      await apollo.close();
    }
  });
});
