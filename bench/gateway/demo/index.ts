import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import type { Workload } from '../workload.js';
import { accounts } from './accounts.js';
import { inventory } from './inventory.js';
import { products } from './products.js';
import { reviews } from './reviews.js';
import { serveDemoSubgraph, type ServedSubgraph } from './server.js';

/**
 * The nested query of the public graphql-gateways-benchmark: users → reviews → product →
 * reviews → author → reviews → product, and topProducts. It reaches all four subgraphs, with
 * shippingEstimate's @requires (price and weight from products, then inventory).
 */
export const DEMO_QUERY = /* GraphQL */ `
  fragment User on User {
    id
    username
    name
  }

  fragment Review on Review {
    id
    body
  }

  fragment Product on Product {
    inStock
    name
    price
    shippingEstimate
    upc
    weight
  }

  query TestQuery {
    users {
      ...User
      reviews {
        ...Review
        product {
          ...Product
          reviews {
            ...Review
            author {
              ...User
              reviews {
                ...Review
                product {
                  ...Product
                }
              }
            }
          }
        }
      }
    }
    topProducts {
      ...Product
      reviews {
        ...Review
        author {
          ...User
          reviews {
            ...Review
            product {
              ...Product
            }
          }
        }
      }
    }
  }
`;

interface DemoData {
  users?: Array<{ name?: string | null; reviews?: unknown[] | null }>;
  topProducts?: Array<{ shippingEstimate?: number | null; inStock?: boolean | null }>;
}

/**
 * Workload 1, the classic federation demo: four static subgraphs in this process, composed at
 * start (in process, @apollo/composition) into `<dataDir>/demo.graphql`.
 */
export async function startDemo(dataDir: string): Promise<Workload> {
  const served: ServedSubgraph[] = [];
  try {
    for (const def of [accounts, products, reviews, inventory]) {
      served.push(await serveDemoSubgraph(def));
    }
    const composed = composeServices(
      served.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.typeDefs) })),
    );
    if (composed.errors) {
      throw new Error(
        `demo composition failed:\n${composed.errors.map((e) => e.message).join('\n')}`,
      );
    }
    await mkdir(dataDir, { recursive: true });
    const supergraphPath = path.join(dataDir, 'demo.graphql');
    await writeFile(supergraphPath, composed.supergraphSdl + '\n');
    return {
      name: 'demo',
      description:
        'classic federation demo (accounts, products, reviews, inventory): the nested query of ' +
        'graphql-gateways-benchmark, anonymous',
      supergraphPath,
      subgraphUrls: Object.fromEntries(served.map((s) => [s.name, s.url])),
      body: JSON.stringify({ query: DEMO_QUERY, operationName: 'TestQuery' }),
      headers: async () => ({}),
      check: (data) => {
        const d = data as DemoData | null;
        const users = d?.users ?? [];
        if (users.length !== 6 || users.some((u) => !u.name || !u.reviews?.length)) {
          return 'expected 6 users, each with a name (accounts) and reviews (reviews)';
        }
        const top = d?.topProducts ?? [];
        if (top.length !== 5 || top.some((p) => p.shippingEstimate == null || p.inStock == null)) {
          return 'expected 5 top products, each with inStock and shippingEstimate (inventory, @requires)';
        }
        return undefined;
      },
      fetches: () => served.reduce((n, s) => n + s.requests(), 0),
      close: async () => {
        for (const s of served) await s.close();
      },
    };
  } catch (err) {
    for (const s of served) await s.close();
    throw err;
  }
}
