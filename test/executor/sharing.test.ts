import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEDERATION_2_3, sleep, startExecutorGraph, type ExecutorGraph } from './harness.js';

/** A root field slow enough that concurrent requests overlap while its fetch is under way. */
const slow = {
  name: 'slow',
  typeDefs: `${FEDERATION_2_3(['key'])}
    type Query { report: String! }`,
  resolvers: {
    Query: {
      report: async () => {
        await sleep(400);
        return 'ready';
      },
    },
  },
};

const QUERY = '{ report }';
const CONCURRENT = 5;

/** `CONCURRENT` identical queries at once, by one caller or by one caller each. */
async function burst(graph: ExecutorGraph, distinct: boolean): Promise<number> {
  const tokens = await Promise.all(
    Array.from({ length: CONCURRENT }, (_, i) =>
      graph.as({ sub: distinct ? `caller-${i}` : 'kari', scope: 'dpv:read' }),
    ),
  );
  graph.resetFetches();
  const answers = await Promise.all(tokens.map((token) => graph.query(QUERY, undefined, token)));
  for (const a of answers) expect(a.body).toEqual({ data: { report: 'ready' } });
  return graph.fetches('slow').length;
}

describe('GATEWAY_SHARE_FETCHES: identical queries of concurrent requests', () => {
  describe('on (the default)', () => {
    let graph: ExecutorGraph;
    beforeAll(async () => {
      graph = await startExecutorGraph([slow]);
    });
    afterAll(async () => {
      await graph?.close();
    });

    it('one caller: the requests share one subgraph fetch', async () => {
      expect(await burst(graph, false)).toBe(1);
    });

    it('different callers: each request sends its own', async () => {
      expect(await burst(graph, true)).toBe(CONCURRENT);
    });
  });

  describe('off', () => {
    let graph: ExecutorGraph;
    beforeAll(async () => {
      graph = await startExecutorGraph([slow], { shareFetches: false });
    });
    afterAll(async () => {
      await graph?.close();
    });

    it('one caller: each request sends its own fetch', async () => {
      expect(await burst(graph, false)).toBe(CONCURRENT);
    });
  });
});
