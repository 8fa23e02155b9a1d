import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { startTestGraph, type TestGraph } from '../harness/graph.js';
import { ORG, reader } from '../subgraphs/meldingsboks/helpers.js';

/**
 * Subscriptions over HTTP (multipart, Apollo Router's protocol; SSE, graphql-sse's distinct
 * connections) spoken raw, as a hostile or careless client would: the same identity, limits and
 * authorisation as graphql-ws, refused before any stream starts where graphql-ws refuses the
 * socket or the operation.
 */
let db: TestDatabase;
let graph: TestGraph;
beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url, { subscriptionLimits: { maxConnectionsPerToken: 2 } });
});
afterAll(async () => {
  await graph?.close();
  await db?.drop();
});

const TRANSPORTS = {
  multipart: 'multipart/mixed;boundary="graphql";subscriptionSpec="1.0", application/json',
  sse: 'text/event-stream',
} as const;

const FEED = `subscription ($recipient: String!) {
  messagePublished(recipient: $recipient) { cursor message { id title } } }`;

/** Posts a subscription; resolves with the status and what arrived within `ms` (or the end). */
async function subscribe(
  accept: string,
  query: string,
  headers: Record<string, string> = {},
  ms = 1_500,
): Promise<{ status: number; text: string; abort: () => void }> {
  const controller = new AbortController();
  const res = await fetch(graph.gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept, ...headers },
    body: JSON.stringify({ query, variables: { recipient: ORG.bakeri } }),
    signal: controller.signal,
  });
  let text = '';
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const deadline = setTimeout(() => controller.abort(), ms);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (/"code":"(FORBIDDEN|UNAUTHENTICATED|OPERATION_LIMIT)"/.test(text)) break;
    }
  } catch {
    // Aborted at the deadline: what arrived is the answer.
  } finally {
    clearTimeout(deadline);
  }
  return { status: res.status, text, abort: () => controller.abort() };
}

describe.each(Object.entries(TRANSPORTS))('subscriptions over %s', (_name, accept) => {
  it('a garbage token is 401 UNAUTHENTICATED before any stream', async () => {
    const r = await subscribe(accept, FEED, { authorization: 'Bearer not.a.token' });
    expect(r.status).toBe(401);
    expect(r.text).toContain('"UNAUTHENTICATED"');
  });

  it("an anonymous caller gets FORBIDDEN for an enhet's inbox, nothing of it", async () => {
    const r = await subscribe(accept, FEED);
    expect(r.text).toContain('"FORBIDDEN"');
    expect(r.text).not.toContain('"title"');
  });

  it("another enhet's token gets FORBIDDEN for the bakery's inbox", async () => {
    const r = await subscribe(accept, FEED, await graph.as(reader(ORG.snekker)));
    expect(r.text).toContain('"FORBIDDEN"');
    expect(r.text).not.toContain('"title"');
  });

  it('the operation limits hold: a document too deep is OPERATION_LIMIT, not run', async () => {
    const deep = `subscription { messagePublished(recipient: "${ORG.bakeri}") { message { ${'recipient { inbox { nodes { '.repeat(8)}id${' } } }'.repeat(8)} } } }`;
    const r = await subscribe(accept, deep, await graph.as(reader(ORG.bakeri)));
    expect(r.status).toBe(400);
    expect(r.text).toContain('"OPERATION_LIMIT"');
  });

  it("past the caller's connections (2 here, streams and sockets together) the next is 429", async () => {
    const headers = await graph.as(reader(ORG.bakeri));
    const opened = [await openStream(accept, headers), await openStream(accept, headers)];
    try {
      expect(opened.map((o) => o.status)).toEqual([200, 200]);
      const third = await subscribe(accept, FEED, headers, 1_000);
      expect(third.status).toBe(429);
    } finally {
      for (const o of opened) o.abort();
    }
  });
});

/** Opens a stream of the bakery's feed and leaves it open; resolves once its headers came. */
async function openStream(accept: string, headers: Record<string, string>) {
  const controller = new AbortController();
  const res = await fetch(graph.gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept, ...headers },
    body: JSON.stringify({ query: FEED, variables: { recipient: ORG.bakeri } }),
    signal: controller.signal,
  });
  return { status: res.status, abort: () => controller.abort() };
}

describe('hostile Accept headers', () => {
  it('a huge Accept naming subscriptionSpec is answered as a plain request, at once', async () => {
    const accept = `${'x/y;q=0.1, '.repeat(5_000)}multipart/mixed;subscriptionSpec=9`;
    const r = await subscribe(accept, FEED, await graph.as(reader(ORG.bakeri)), 5_000);
    // Not a stream: Apollo Server answers (a subscription over plain HTTP is refused).
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.text).not.toContain('"title"');
  });
});
