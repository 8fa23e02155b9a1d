import type { DemoSubgraph } from './server.js';

/** In stock, by upc. */
const IN_STOCK = new Map(
  [true, false, false, false, true, true, true, false, true].map((inStock, i) => [
    String(i + 1),
    inStock,
  ]),
);

interface ProductReference {
  upc: string;
  /** From products, because shippingEstimate @requires them. */
  price?: number | null;
  weight?: number | null;
}

/** Inventory: extends Product with inStock and shippingEstimate, which @requires price and weight. */
export const inventory: DemoSubgraph = {
  name: 'inventory',
  typeDefs: /* GraphQL */ `
    type Product @key(fields: "upc") {
      upc: String!
      weight: Int @external
      price: Int @external
      inStock: Boolean
      shippingEstimate: Int @requires(fields: "price weight")
    }
  `,
  resolvers: {
    Product: {
      __resolveReference: (reference: ProductReference) => ({
        ...reference,
        inStock: IN_STOCK.get(reference.upc) ?? null,
      }),
      // Free above 1000, else half the weight.
      shippingEstimate: ({ price, weight }: ProductReference) =>
        price == null || weight == null ? null : price > 1000 ? 0 : Math.round(weight / 2),
    },
  },
};
