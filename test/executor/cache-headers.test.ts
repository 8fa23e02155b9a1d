import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLANNERS, startExecutorGraph, type ExecutorGraph } from './harness.js';
import { accounts, inventory, products, reviews } from './shop.js';

/**
 * The gateway's `Cache-Control` is the least of its subgraph answers' policies, and public only
 * for an anonymous caller's query whose every fetch was hinted PUBLIC and that has no error.
 * Products answer for 60 s, reviews for 300 s, accounts privately, inventory not at all.
 */
const PUBLIC_60 = { ...products, cacheControl: 'max-age=60, public' };
const PUBLIC_300 = { ...reviews, cacheControl: 'max-age=300, public' };
const PRIVATE = { ...accounts, cacheControl: 'max-age=300, private' };

describe.each(PLANNERS)('planner: %s', (planner) => {
  let graph: ExecutorGraph;
  beforeAll(async () => {
    graph = await startExecutorGraph([PUBLIC_60, PUBLIC_300, PRIVATE, inventory], { planner });
  });
  afterAll(async () => {
    await graph?.close();
  });

  const cacheControl = async (query: string, headers?: Record<string, string>) => {
    const r = await graph.query(query, undefined, headers);
    expect(r.status).toBe(200);
    return { header: r.headers.get('cache-control'), body: r.body as { errors?: unknown } };
  };

  it.each([
    ['one public fetch: public for its max-age', '{ topProducts { name } }', 'public, max-age=60'],
    [
      'two public fetches: the least of their max-ages',
      '{ topProducts(first: 2) { name reviews { stars } } }',
      'public, max-age=60',
    ],
    [
      'a fetch with a private policy: private, no-store',
      '{ topProducts(first: 1) { reviews { author { name } } } }',
      'private, no-store',
    ],
    [
      'a fetch without a policy: private, no-store',
      '{ topProducts(first: 1) { inStock } }',
      'private, no-store',
    ],
  ])('anonymous, %s', async (_, query, expected) => {
    const r = await cacheControl(query);
    expect(r.body.errors).toBeUndefined();
    expect(r.header).toBe(expected);
  });

  it('a caller with a token gets private, no-store for the same public answer', async () => {
    const token = await graph.as({ sub: 'kari', org: '310012343', scope: 'dpv:read' });
    const r = await cacheControl('{ topProducts { name } }', token);
    expect(r.body.errors).toBeUndefined();
    expect(r.header).toBe('private, no-store');
  });

  it('an answer with an error is private, no-store', async () => {
    const r = await graph.query('{ topProducts { nope } }');
    expect(r.status).toBe(400);
    expect(r.headers.get('cache-control')).toBe('private, no-store');
  });

  it('an incremental (@defer) answer is private, no-store', async () => {
    const r = await graph.query(
      '{ topProducts(first: 1) { name ... @defer { reviews { stars } } } }',
      undefined,
      { accept: 'multipart/mixed;deferSpec=20220824,application/json' },
    );
    expect(r.contentType).toContain('multipart/mixed');
    expect(r.headers.get('cache-control')).toBe('private, no-store');
  });
});
