import { createClient, type Client } from 'graphql-ws';
import type { GraphQLFormattedError } from 'graphql';
import { expect } from 'vitest';
import { WebSocket } from 'ws';
import type { SubgraphFixture, TestGraph } from '../harness/graph.js';
import { ORG, send as sendTo } from '../subgraphs/meldingsboks/helpers.js';

/** How a socket ended, as graphql-ws's `closed` event reports it. */
export interface Closed {
  code: number;
  reason: string;
  /** Date.now() when the client saw it. */
  at: number;
}

/** One subscription's results, collected as they come. */
export interface Feed<T> {
  events: T[];
  /** GraphQL errors: in `next` results, or an `error` message (an array of them). */
  errors: GraphQLFormattedError[];
  /** Anything else the sink's `error` got: a close event, a socket error. */
  failures: unknown[];
  done: boolean;
  unsubscribe: () => void;
}

/** A graphql-ws client that connects at once (not lazily) and never retries. */
export interface TestSocket {
  client: Client;
  /** Date.now() when connection_ack arrived; null until then. */
  connectedAt: number | null;
  closes: Closed[];
  subscribe<T>(query: string, variables?: Record<string, unknown>): Feed<T>;
  dispose(): Promise<void>;
}

/** Every socket opened since the last `disposeAll`. */
const open: TestSocket[] = [];

export const toWs = (httpUrl: string) => httpUrl.replace(/^http/, 'ws');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it is true (10 s unless told), failing the test otherwise. */
export const until = (check: () => boolean | Promise<boolean>, timeout = 10_000) =>
  expect.poll(check, { timeout, interval: 25 }).toBe(true);

export function openSocket(
  httpUrl: string,
  connectionParams: Record<string, unknown> = {},
): TestSocket {
  const socket = { connectedAt: null, closes: [] } as unknown as TestSocket;
  socket.client = createClient({
    url: toWs(httpUrl),
    webSocketImpl: WebSocket,
    connectionParams,
    lazy: false,
    retryAttempts: 0,
    // Refusals are asserted through `closes`; graphql-ws would log them otherwise.
    onNonLazyError: () => {},
    on: {
      connected: () => void (socket.connectedAt = Date.now()),
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: unknown };
        socket.closes.push({ code, reason: String(reason ?? ''), at: Date.now() });
      },
    },
  });
  socket.subscribe = <T>(query: string, variables: Record<string, unknown> = {}) => {
    const feed: Feed<T> = {
      events: [],
      errors: [],
      failures: [],
      done: false,
      unsubscribe: () => {},
    };
    feed.unsubscribe = socket.client.subscribe<Record<string, T>>(
      { query, variables },
      {
        next: (r) => {
          if (r.errors) feed.errors.push(...r.errors);
          const value = r.data && Object.values(r.data)[0];
          if (value) feed.events.push(value);
        },
        error: (e) => {
          if (Array.isArray(e)) feed.errors.push(...(e as GraphQLFormattedError[]));
          else feed.failures.push(e);
          feed.done = true;
        },
        complete: () => void (feed.done = true),
      },
    );
    return feed;
  };
  socket.dispose = () => Promise.resolve(socket.client.dispose());
  open.push(socket);
  return socket;
}

/** Disposes of every socket the test opened. */
export async function disposeAll(): Promise<void> {
  for (const s of open.splice(0)) await s.dispose();
}

/** Resolves once the socket is connected (acknowledged), failing the test after 10 s. */
export const connected = (socket: TestSocket) => until(() => socket.connectedAt !== null);

/** Resolves with the socket's first close, failing the test after `timeout` ms. */
export async function closed(socket: TestSocket, timeout = 10_000): Promise<Closed> {
  await until(() => socket.closes.length > 0, timeout);
  return socket.closes[0]!;
}

/** The `extensions.code` of each GraphQL error, in order. */
export const errorCodes = (feed: Feed<unknown>) => feed.errors.map((e) => e.extensions?.code);

/** The bakery's own feed, as the live-feed tests follow it. */
export const BAKERY_FEED = `subscription ($recipient: String!, $after: String) {
  messagePublished(recipient: $recipient, after: $after) { cursor message { id title sender { navn } } } }`;

/** Time for the gateway to subscribe upstream: a feed without `after` starts at the head. */
export const LIVE_MS = 750;
/** Longer than a confirmation takes (a ping 50 ms after an event, and its pong). */
export const CONFIRMED_MS = 400;

/**
 * Sends the bakery a message straight to meldingsboks (as Skatteetaten, an approved sender),
 * each titled with `prefix` and a running number.
 */
export function bakerySender(graph: () => TestGraph, prefix: string) {
  let sent = 0;
  return (label: string): Promise<{ id: string; title: string }> => {
    const fixture = { subgraph: graph().subgraphs.get('meldingsboks')! } as SubgraphFixture;
    return sendTo(fixture, { recipient: ORG.bakeri, title: `${prefix} ${++sent}: ${label}` });
  };
}
