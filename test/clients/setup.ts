import { afterAll, afterEach, beforeAll, beforeEach, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import {
  startTestGraph,
  type SubgraphFixture,
  type TestGraph,
  type TestGraphOptions,
} from '../harness/graph.js';
import { ORG, reader, send } from '../subgraphs/meldingsboks/helpers.js';

/** Messages sent to the bakery beyond the demo's, so that its inbox has pages to fetch. */
export const EXTRA_MESSAGES = 4;

/** The graph a recipe runs against: the whole graph on its own database, the bakery's inbox filled. */
export interface RecipeGraph {
  graph: TestGraph;
  url: string;
  /** The bakery's reader token. */
  token: string;
}

/** Starts the graph before the file's tests and closes it after them. */
export function useRecipeGraph(options: TestGraphOptions = {}): RecipeGraph {
  const ctx = {} as RecipeGraph;
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    ctx.graph = await startTestGraph(db.url, options);
    ctx.url = ctx.graph.gateway.url;
    const fixture = { subgraph: ctx.graph.subgraphs.get('meldingsboks')! } as SubgraphFixture;
    for (let i = 1; i <= EXTRA_MESSAGES; i++) {
      await send(fixture, { recipient: ORG.bakeri, title: `Recipe message ${i}` });
    }
    ctx.token = await ctx.graph.issuer.token(reader(ORG.bakeri));
  });
  afterAll(async () => {
    await ctx.graph?.close();
    await db?.drop();
  });
  return ctx;
}

/**
 * What the client libraries print to the console during each test: their dev-mode warnings
 * ("Invalid key", lost cache data) go there. The array is emptied before each test.
 */
export function captureConsoleWarnings(): unknown[][] {
  const warnings: unknown[][] = [];
  beforeEach(() => {
    warnings.length = 0;
    for (const level of ['warn', 'error'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void warnings.push(args));
    }
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return warnings;
}
