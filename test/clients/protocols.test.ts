import { ApolloClient, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { Defer20220824Handler } from '@apollo/client/incremental';
import { createClient } from 'graphql-ws';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ORG } from '../subgraphs/meldingsboks/helpers.js';
import { bakerySender, BAKERY_FEED, LIVE_MS, sleep, until } from '../graph/subscriptionHelpers.js';
import { useRecipeGraph } from './setup.js';

/**
 * The README's protocol recipes that are not in a file of their own: graphql-ws's client for
 * subscriptions over WebSocket, and Apollo Client 4 reading `@defer` incrementally
 * (multipart/mixed, deferSpec=20220824) with its Defer20220824Handler.
 */
const ctx = useRecipeGraph();

// recipe:graphql-ws
function createWsClient(url: string, token: string) {
  return createClient({
    url: url.replace(/^http/, 'ws'),
    // The token goes in connection_init's payload; the client resends it on every reconnect.
    connectionParams: { authorization: `Bearer ${token}` },
    webSocketImpl: WebSocket, // only outside a browser
  });
}
// end:graphql-ws

// recipe:apollo-defer
function createDeferringClient(url: string, token: string) {
  return new ApolloClient({
    link: new HttpLink({ uri: url, headers: { authorization: `Bearer ${token}` } }),
    cache: new InMemoryCache(),
    // Reads the gateway's multipart answers to @defer (the format Apollo Router sends).
    incrementalHandler: new Defer20220824Handler(),
  });
}
// end:apollo-defer

describe('graphql-ws: subscriptions over WebSocket', () => {
  it('delivers a message sent after the subscription started', async () => {
    const client = createWsClient(ctx.url, ctx.token);
    const events: { message: { id: string } }[] = [];
    const errors: unknown[] = [];
    const stop = client.subscribe<{ messagePublished: { message: { id: string } } }>(
      { query: BAKERY_FEED, variables: { recipient: ORG.bakeri } },
      {
        next: ({ data, errors: e }) => {
          if (e) errors.push(...e);
          if (data) events.push(data.messagePublished);
        },
        error: (e) => void errors.push(e),
        complete: () => {},
      },
    );
    try {
      await sleep(LIVE_MS);
      const sent = await bakerySender(() => ctx.graph, 'ws')('live');
      await until(() => events.length === 1);
      expect(events[0]!.message.id).toBe(sent.id);
      expect(errors).toEqual([]);
    } finally {
      stop();
      await client.dispose();
    }
  });
});

describe('Apollo Client 4: @defer read incrementally', () => {
  it('gets the deferred inbox after the enhet, over multipart/mixed', async () => {
    const contentTypes: string[] = [];
    const client = createDeferringClient(ctx.url, ctx.token);
    // What the gateway answered with, seen by wrapping the link's fetch.
    const link = new HttpLink({
      uri: ctx.url,
      headers: { authorization: `Bearer ${ctx.token}` },
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        contentTypes.push(res.headers.get('content-type') ?? '');
        return res;
      },
    });
    client.setLink(link);
    const { data, error } = await client.query<{
      enhet: { id: string; navn: string; inbox: { edges: { node: { id: string } }[] } };
    }>({
      query: gql`
        query Deferred($org: String!) {
          enhet(organisasjonsnummer: $org) {
            id
            navn
            ... @defer {
              inbox(first: 2) {
                edges {
                  node {
                    id
                    title
                  }
                }
              }
            }
          }
        }
      `,
      variables: { org: ORG.bakeri },
    });
    expect(error).toBeUndefined();
    expect(data?.enhet.navn).toBe('FJELLTOPP BAKERI AS');
    expect(data?.enhet.inbox.edges).toHaveLength(2);
    expect(contentTypes[0]).toMatch(/^multipart\/mixed/);
    expect(contentTypes[0]).toContain('deferSpec=20220824');
  });
});
