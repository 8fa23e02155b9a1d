import { createClient } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { startTestGraph, type TestGraph } from '../harness/graph.js';
import { ORG, reader } from '../subgraphs/meldingsboks/helpers.js';
import { bakerySender, BAKERY_FEED, LIVE_MS, sleep, until } from '../graph/subscriptionHelpers.js';

/**
 * graphql-sse's own client (distinct connections mode, its default) against the gateway's
 * `/graphql`. The README's recipe is this code.
 */

let db: TestDatabase;
let graph: TestGraph;
beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url);
});
afterAll(async () => {
  await graph?.close();
  await db?.drop();
});

const send = bakerySender(() => graph, 'sse');
const streams = async () =>
  (await graph.gateway.metrics.httpSubscriptionStreams.get()).values.find(
    (v) => v.labels.transport === 'sse',
  )?.value ?? 0;

interface Event {
  messagePublished: { cursor: string; message: { id: string; title: string } };
}

// recipe:graphql-sse
function createSseClient(url: string, token: string) {
  // graphql-sse's default "distinct connections" mode: one request per operation.
  return createClient({ url, headers: { authorization: `Bearer ${token}` } });
}
// end:graphql-sse

describe('graphql-sse: subscriptions over Server-Sent Events', () => {
  it('delivers events live and resumes after a cursor', async () => {
    const client = createSseClient(graph.gateway.url, await graph.issuer.token(reader(ORG.bakeri)));

    const events: Event['messagePublished'][] = [];
    const stop = client.subscribe<Event>(
      { query: BAKERY_FEED, variables: { recipient: ORG.bakeri } },
      {
        next: ({ data, errors }) => {
          expect(errors).toBeUndefined();
          if (data) events.push(data.messagePublished);
        },
        error: (err) => void events.push({ error: err } as never),
        complete: () => {},
      },
    );
    await until(async () => (await streams()) === 1);
    await sleep(LIVE_MS);
    const first = await send('first');
    await until(() => events.length === 1);
    expect(events[0]!.message.id).toBe(first.id);
    stop();
    await until(async () => (await streams()) === 0);

    // Resuming: the same subscription with `after`, here through the async iterator.
    const missed = await send('second');
    const resumed = client.iterate<Event>({
      query: BAKERY_FEED,
      variables: { recipient: ORG.bakeri, after: events[0]!.cursor },
    });
    const next = await resumed.next();
    expect(next.value?.data?.messagePublished.message.id).toBe(missed.id);
    await resumed.return?.();
    client.dispose();
  });
});
