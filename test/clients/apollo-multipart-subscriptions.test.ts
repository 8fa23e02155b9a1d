import { ApolloClient, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { startTestGraph, type TestGraph } from '../harness/graph.js';
import { ORG, reader } from '../subgraphs/meldingsboks/helpers.js';
import { bakerySender, LIVE_MS, sleep, until } from '../graph/subscriptionHelpers.js';

/**
 * Apollo Client 4 subscribing over multipart HTTP, as it does against Apollo Router: a plain
 * HttpLink and nothing else (no WebSocket link). The README's recipe is this code.
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

const send = bakerySender(() => graph, 'multipart');
const streams = async () =>
  (await graph.gateway.metrics.httpSubscriptionStreams.get()).values.find(
    (v) => v.labels.transport === 'multipart',
  )?.value ?? 0;

interface MessagePublished {
  messagePublished: { cursor: string; message: { id: string; title: string } };
}

const FEED = gql`
  subscription Feed($recipient: String!, $after: String) {
    messagePublished(recipient: $recipient, after: $after) {
      cursor
      message {
        id
        title
      }
    }
  }
`;

// recipe:apollo-multipart-subscriptions
function createSubscribingClient(url: string, token: string) {
  // HttpLink alone: subscriptions go over multipart HTTP, as against Apollo Router.
  return new ApolloClient({
    link: new HttpLink({ uri: url, headers: { authorization: `Bearer ${token}` } }),
    cache: new InMemoryCache(),
  });
}
// end:apollo-multipart-subscriptions

describe('Apollo Client 4: subscriptions over multipart HTTP with HttpLink alone', () => {
  it('delivers events live, stops the stream on unsubscribe, and resumes after a cursor', async () => {
    const client = createSubscribingClient(
      graph.gateway.url,
      await graph.issuer.token(reader(ORG.bakeri)),
    );
    const follow = (after?: string) => {
      const events: MessagePublished['messagePublished'][] = [];
      const errors: unknown[] = [];
      const subscription = client
        .subscribe<MessagePublished>({
          query: FEED,
          variables: { recipient: ORG.bakeri, after },
        })
        .subscribe({
          next: ({ data, error }) => {
            if (error) errors.push(error);
            if (data) events.push(data.messagePublished);
          },
          error: (e) => void errors.push(e),
        });
      return { events, errors, stop: () => subscription.unsubscribe() };
    };

    const live = follow();
    await until(async () => (await streams()) === 1);
    await sleep(LIVE_MS);
    const first = await send('first');
    await until(() => live.events.length === 1);
    expect(live.events[0]!.message).toMatchObject({ id: first.id, title: first.title });
    expect(live.errors).toEqual([]);
    live.stop();
    // The client's abort ends the response: the gateway stops the subscription.
    await until(async () => (await streams()) === 0);

    const missed = [await send('second'), await send('third')];
    const resumed = follow(live.events[0]!.cursor);
    await until(() => resumed.events.length === 2);
    expect(resumed.events.map((e) => e.message.id)).toEqual(missed.map((m) => m.id));
    const fourth = await send('fourth');
    await until(() => resumed.events.length === 3);
    expect(resumed.events[2]!.message.id).toBe(fourth.id);
    expect(resumed.errors).toEqual([]);
    resumed.stop();
    client.stop();
  });
});
