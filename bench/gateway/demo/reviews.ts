import type { DemoSubgraph } from './server.js';

const LOREM =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut ' +
  'labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco ' +
  'laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in ' +
  'voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat ' +
  'non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.';
const SED =
  'Sed ut perspiciatis unde omnis iste natus error sit voluptatem accusantium doloremque ' +
  'laudantium, totam rem aperiam, eaque ipsa quae ab illo inventore veritatis et quasi architecto ' +
  'beatae vitae dicta sunt explicabo.';
const QUIA =
  'Sed quia consequuntur magni dolores eos qui ratione voluptatem sequi nesciunt. Neque porro ' +
  'quisquam est, qui dolorem ipsum quia dolor sit amet, consectetur, adipisci velit.';
const MINIMA =
  'Ut enim ad minima veniam, quis nostrum exercitationem ullam corporis suscipit laboriosam, nisi ' +
  'ut aliquid ex ea commodi consequatur? Quis autem';

interface Review {
  id: string;
  body: string;
  product: { upc: string };
}

/** Eleven reviews of products 1–4, as in the public gateway benchmark. */
const REVIEWS: Review[] = (
  [
    [LOREM, '1'],
    [SED, '1'],
    [QUIA, '1'],
    [MINIMA, '1'],
    [LOREM, '2'],
    [SED, '2'],
    [QUIA, '2'],
    [MINIMA, '2'],
    [MINIMA, '3'],
    [MINIMA, '4'],
    [SED + ' ' + QUIA, '4'],
  ] as const
).map(([body, upc], i) => ({ id: String(i + 1), body, product: { upc } }));

/**
 * Reviews: Review.author provides the author's username; every user has written the first two
 * reviews and every review is by user 1 (the public benchmark's data).
 */
export const reviews: DemoSubgraph = {
  name: 'reviews',
  typeDefs: /* GraphQL */ `
    type Review @key(fields: "id") {
      id: ID!
      body: String
      product: Product
      author: User @provides(fields: "username")
    }

    type User @key(fields: "id") {
      id: ID!
      username: String @external
      reviews: [Review]
    }

    type Product @key(fields: "upc") {
      upc: String!
      reviews: [Review]
    }
  `,
  resolvers: {
    Review: {
      __resolveReference: ({ id }: { id: string }) => REVIEWS.find((r) => r.id === id) ?? null,
      author: () => ({ id: '1', username: 'urigo' }),
    },
    User: {
      __resolveReference: ({ id }: { id: string }) => ({ id }),
      reviews: () => REVIEWS.slice(0, 2),
    },
    Product: {
      __resolveReference: ({ upc }: { upc: string }) => ({ upc }),
      reviews: ({ upc }: { upc: string }) => REVIEWS.filter((r) => r.product.upc === upc),
    },
  },
};
