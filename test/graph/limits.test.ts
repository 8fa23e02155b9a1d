import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { codes, post } from '../harness/graphql.js';
import { startTestGraph, type TestGraph } from '../harness/graph.js';

let db: TestDatabase;
let graph: TestGraph;
let bakeri: Record<string, string>;
let subgraphCalls = 0;

const LIMITS = { maxDepth: 4, maxAliases: 2, maxRootFields: 3, maxCost: 12, maxDocumentBytes: 300 };

beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url, { limits: LIMITS });
  bakeri = await graph.as({ org: '310012343', scope: 'dpv:read' });
  for (const s of graph.subgraphs.values()) s.httpServer.on('request', () => subgraphCalls++);
});
afterAll(async () => {
  await graph?.close();
  await db?.drop();
});

const ENHET = 'enhet(organisasjonsnummer: "310012343")';
const repeat = (n: number, f: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => f(i)).join(' ');

/** Sends the operation and reports whether any subgraph was called for it. */
async function run(query: string, variables: Record<string, unknown> = {}) {
  const before = subgraphCalls;
  const r = await post(graph.gateway.url, query, variables, bakeri);
  return { r, calledSubgraphs: subgraphCalls > before };
}

function expectRejected(result: Awaited<ReturnType<typeof run>>, limit: string) {
  expect(result.r.status).toBe(400);
  expect(codes(result.r)).toEqual(['OPERATION_LIMIT']);
  expect(result.r.errors?.[0]?.extensions?.limit).toBe(limit);
  expect(result.r.errors?.[0]?.message).toContain(limit);
  expect(result.calledSubgraphs).toBe(false);
}

function expectAccepted(result: Awaited<ReturnType<typeof run>>) {
  expect(result.r.errors).toBeUndefined();
  expect(result.calledSubgraphs).toBe(true);
}

describe('operation limits', () => {
  it('depth: 4 passes, 5 is refused before any subgraph call', async () => {
    expectAccepted(await run(`{ ${ENHET} { inbox(first: 2) { nodes { title } } } }`));
    expectRejected(await run(`{ ${ENHET} { inbox { nodes { sender { navn } } } } }`), 'maxDepth');
  });

  it('depth counts through fragments', async () => {
    expectRejected(
      await run(
        `{ ${ENHET} { ...F } } fragment F on Enhet { inbox { nodes { ... on Message { sender { navn } } } } }`,
      ),
      'maxDepth',
    );
  });

  it('aliases: 2 pass, 3 are refused', async () => {
    expectAccepted(await run(`{ ${repeat(2, (i) => `a${i}: ${ENHET} { navn }`)} }`));
    expectRejected(await run(`{ ${repeat(3, (i) => `a${i}: ${ENHET} { navn }`)} }`), 'maxAliases');
  });

  it('root fields: 3 pass, 4 are refused', async () => {
    expectAccepted(await run(`{ ${repeat(3, () => `${ENHET} { navn }`)} }`));
    expectRejected(await run(`{ ${repeat(4, () => `${ENHET} { navn }`)} }`), 'maxRootFields');
  });

  it('cost weighs a connection by its first argument, from a variable too: 12 passes, 14 is refused', async () => {
    const q = `query ($n: Int!) { ${ENHET} { inbox(first: $n) { nodes { title } } } }`;
    expectAccepted(await run(q, { n: 5 })); // 1 + 1 + 5 nodes + 5 titles
    expectRejected(await run(q, { n: 6 }), 'maxCost');
  });

  it('a list without a page argument counts as 10 items', async () => {
    // 1 + 1 + 10 nodes + 20
    expectRejected(await run(`{ ${ENHET} { inbox { nodes { title createdAt } } } }`), 'maxCost');
  });

  it('document size: 300 bytes pass, 301 are refused', async () => {
    const base = `{ ${ENHET} { navn } }`;
    const pad = (n: number) => base + ' '.repeat(n - Buffer.byteLength(base));
    expectAccepted(await run(pad(300)));
    expectRejected(await run(pad(301)), 'maxDocumentBytes');
  });

  it('counts refusals in the metrics', async () => {
    await run(`query Deep { ${ENHET} { inbox { nodes { sender { navn } } } } }`);
    const metrics = await (await fetch(new URL('/metrics', graph.gateway.url))).text();
    expect(metrics).toMatch(/dpv_gateway_requests_total\{operation="Deep",outcome="rejected"\} 1/);
  });
});
