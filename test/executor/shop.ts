import { FEDERATION_2_3, type TestSubgraph } from './harness.js';

/**
 * A small shop split over four subgraphs, the shape most federated graphs have: products (root
 * lists, nested lists), reviews (entities that point at other subgraphs' entities), accounts
 * (users) and inventory (fields that @require other subgraphs' fields).
 */
export const PRODUCTS = [
  { upc: 'p1', name: 'Table', price: 899, weight: 100 },
  { upc: 'p2', name: 'Couch', price: 1299, weight: 1000 },
  { upc: 'p3', name: 'Chair', price: 54, weight: 50 },
];
export const USERS = [
  { id: 'u1', name: 'Ada Lovelace', username: 'ada' },
  { id: 'u2', name: 'Grace Hopper', username: 'grace' },
];
export const REVIEWS = [
  { id: 'r1', upc: 'p1', authorId: 'u1', body: 'Love it!', stars: 5 },
  { id: 'r2', upc: 'p1', authorId: 'u2', body: 'Too expensive.', stars: 2 },
  { id: 'r3', upc: 'p2', authorId: 'u1', body: 'Could be better.', stars: 3 },
  { id: 'r4', upc: 'p3', authorId: 'u2', body: 'Sturdy.', stars: 4 },
];
const IN_STOCK: Record<string, boolean> = { p1: true, p2: false, p3: true };

const product = (upc: string) => PRODUCTS.find((p) => p.upc === upc);

export const products: TestSubgraph = {
  name: 'products',
  typeDefs: `${FEDERATION_2_3(['@key'])}
    type Query {
      topProducts(first: Int = 5): [Product!]!
      product(upc: String!): Product
      productsByUpc(upcs: [String!]!): [Product]!
      search(filter: ProductFilter!): [Product!]!
      shelves: [[Product!]!]!
    }
    input ProductFilter {
      maxPrice: Int
      nameIn: [String!]
      sort: SortOrder = ASC
    }
    enum SortOrder { ASC DESC }
    type Product @key(fields: "upc") {
      upc: String!
      name: String!
      price: Int!
      weight: Int!
    }`,
  resolvers: {
    Query: {
      topProducts: (_: unknown, { first }: { first: number }) => PRODUCTS.slice(0, first),
      product: (_: unknown, { upc }: { upc: string }) => product(upc),
      productsByUpc: (_: unknown, { upcs }: { upcs: string[] }) => upcs.map(product),
      search: (
        _: unknown,
        { filter }: { filter: { maxPrice?: number; nameIn?: string[]; sort: 'ASC' | 'DESC' } },
      ) => {
        const found = PRODUCTS.filter(
          (p) =>
            (filter.maxPrice == null || p.price <= filter.maxPrice) &&
            (filter.nameIn == null || filter.nameIn.includes(p.name)),
        ).sort((a, b) => a.price - b.price);
        return filter.sort === 'DESC' ? found.reverse() : found;
      },
      shelves: () => [[PRODUCTS[0], PRODUCTS[1]], [PRODUCTS[2]], []],
    },
    Product: {
      __resolveReference: (ref: { upc: string }) => product(ref.upc),
    },
  },
};

export const reviews: TestSubgraph = {
  name: 'reviews',
  typeDefs: `${FEDERATION_2_3(['@key'])}
    type Query {
      latestReviews: [Review!]!
    }
    type Product @key(fields: "upc") {
      upc: String!
      reviews(minStars: Int = 0): [Review!]!
    }
    type Review @key(fields: "id") {
      id: ID!
      body: String!
      stars: Int!
      author: User!
      product: Product!
    }
    type User @key(fields: "id") {
      id: ID!
      reviews: [Review!]!
    }`,
  resolvers: {
    Query: {
      latestReviews: () => [...REVIEWS].reverse(),
    },
    Product: {
      __resolveReference: (ref: { upc: string }) => ref,
      reviews: (p: { upc: string }, { minStars }: { minStars: number }) =>
        REVIEWS.filter((r) => r.upc === p.upc && r.stars >= minStars),
    },
    Review: {
      __resolveReference: (ref: { id: string }) => REVIEWS.find((r) => r.id === ref.id),
      author: (r: (typeof REVIEWS)[number]) => ({ id: r.authorId }),
      product: (r: (typeof REVIEWS)[number]) => ({ upc: r.upc }),
    },
    User: {
      __resolveReference: (ref: { id: string }) => ref,
      reviews: (u: { id: string }) => REVIEWS.filter((r) => r.authorId === u.id),
    },
  },
};

export const accounts: TestSubgraph = {
  name: 'accounts',
  typeDefs: `${FEDERATION_2_3(['@key'])}
    type Query {
      me: User
      user(id: ID!): User
    }
    type User @key(fields: "id") {
      id: ID!
      name: String!
      username: String!
    }`,
  resolvers: {
    Query: {
      me: () => USERS[0],
      user: (_: unknown, { id }: { id: string }) => USERS.find((u) => u.id === id),
    },
    User: {
      __resolveReference: (ref: { id: string }) => USERS.find((u) => u.id === ref.id),
    },
  },
};

export const inventory: TestSubgraph = {
  name: 'inventory',
  typeDefs: `${FEDERATION_2_3(['@key', '@external', '@requires'])}
    type Product @key(fields: "upc") {
      upc: String!
      price: Int! @external
      weight: Int! @external
      inStock: Boolean!
      "Free above 1000, else half the weight."
      shippingEstimate: Int! @requires(fields: "price weight")
    }`,
  resolvers: {
    Product: {
      __resolveReference: (ref: { upc: string; price?: number; weight?: number }) => ref,
      inStock: (p: { upc: string }) => IN_STOCK[p.upc],
      shippingEstimate: (p: { price: number; weight: number }) =>
        p.price > 1000 ? 0 : Math.round(p.weight / 2),
    },
  },
};

export const shop = (): TestSubgraph[] => [products, reviews, accounts, inventory];
