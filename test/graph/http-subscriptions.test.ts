import { describe, expect, it } from 'vitest';
import { bearer } from '../harness/graphql.js';
import { useTestGraph } from '../harness/graph.js';
import { ORG, reader } from '../subgraphs/meldingsboks/helpers.js';
import { BAKERY_FEED, LIVE_MS, bakerySender, sleep, until } from './subscriptionHelpers.js';

/**
 * The two HTTP subscription transports spoken by hand (fetch, no client library), each checked
 * against what graphql-ws does on the same core (test/graph/subscriptions.test.ts,
 * subscription-limits.test.ts): a bad token is refused before anything streams (401 here, 4403
 * there), an anonymous caller gets the same FORBIDDEN, the same operation limits and caps hold,
 * and Accept headers that ask for something else get a clear error, never a stream.
 */
const fixture = useTestGraph({
  limits: { maxDepth: 4, maxDocumentBytes: 2_048 },
  subscriptionLimits: { maxConnectionsPerToken: 2 },
});

interface Transport {
  name: 'multipart' | 'sse';
  accept: string;
  /** The payloads (`{data, errors}`) found in the text streamed so far. */
  payloads(text: string): Array<{ data?: unknown; errors?: Array<{ extensions?: any }> }>;
}

const TRANSPORTS: Transport[] = [
  {
    name: 'multipart',
    accept: 'multipart/mixed;subscriptionSpec="1.0", application/json',
    payloads: (text) =>
      text
        .split('\r\n--graphql')
        .map((part) => part.split('\r\n\r\n')[1]?.trim())
        .filter((json): json is string => !!json && json !== '{}' && !json.startsWith('--'))
        .map((json) => {
          const part = JSON.parse(json) as { payload: any; errors?: any[] };
          return part.payload ?? { errors: part.errors };
        }),
  },
  {
    name: 'sse',
    accept: 'text/event-stream',
    payloads: (text) =>
      text
        .split('\n\n')
        .filter((event) => event.includes('event: next'))
        .map((event) => JSON.parse(event.split('\ndata: ')[1]!) as never),
  },
];

/** One subscription request, read as it streams. */
async function open(
  transport: Transport,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
  accept = transport.accept,
) {
  const abort = new AbortController();
  const res = await fetch(fixture.graph.gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept, ...headers },
    body: JSON.stringify({ query, variables }),
    signal: abort.signal,
  });
  const state = { text: '', ended: false };
  const streaming = res.status === 200 && !res.headers.get('content-type')?.includes('json');
  if (streaming) {
    void (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          state.text += decoder.decode(chunk, { stream: true });
        }
      } catch {
        // aborted
      }
      state.ended = true;
    })();
  }
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    json: streaming ? undefined : ((await res.json()) as { errors?: any[]; data?: unknown }),
    payloads: () => transport.payloads(state.text),
    ended: () => state.ended,
    stop: () => abort.abort(),
  };
}

const codes = (errors: Array<{ extensions?: any }> | undefined) =>
  (errors ?? []).map((e) => e.extensions?.code);

const streams = async (transport: Transport['name']) =>
  (await fixture.graph.gateway.metrics.httpSubscriptionStreams.get()).values.find(
    (v) => v.labels.transport === transport,
  )?.value ?? 0;

const VARIABLES = { recipient: ORG.bakeri };

describe.each(TRANSPORTS)('subscriptions over $name', (transport) => {
  const send = bakerySender(() => fixture.graph, `raw ${transport.name}`);

  it.each([
    ['garbage', () => Promise.resolve('not-a-jwt')],
    [
      'already expired',
      () => fixture.graph.issuer.token({ ...reader(ORG.bakeri), expiresIn: -60 }),
    ],
  ])('a %s token: 401 UNAUTHENTICATED, no stream (graphql-ws: 4403)', async (_, token) => {
    const r = await open(transport, BAKERY_FEED, VARIABLES, bearer(await token()));
    expect(r.status).toBe(401);
    expect(codes(r.json?.errors)).toEqual(['UNAUTHENTICATED']);
  });

  it('anonymous, the inbox feed: FORBIDDEN, as over graphql-ws', async () => {
    const r = await open(transport, BAKERY_FEED, VARIABLES);
    const errors =
      r.json?.errors ?? (await until(() => r.payloads().length > 0), r.payloads()[0]!.errors);
    expect(codes(errors)).toEqual(['FORBIDDEN']);
    r.stop();
  });

  it("another organisation, the bakery's feed: FORBIDDEN, as over graphql-ws", async () => {
    const r = await open(
      transport,
      BAKERY_FEED,
      VARIABLES,
      await fixture.graph.as(reader(ORG.seilforening)),
    );
    const errors =
      r.json?.errors ?? (await until(() => r.payloads().length > 0), r.payloads()[0]!.errors);
    expect(codes(errors)).toEqual(['FORBIDDEN']);
    r.stop();
  });

  it('the operation limits hold: depth, then document size (OPERATION_LIMIT, 400)', async () => {
    const auth = await fixture.graph.as(reader(ORG.bakeri));
    const deep = await open(
      transport,
      `subscription ($recipient: String!) { messagePublished(recipient: $recipient) {
        message { sender { organisasjonsform { kode } } } } }`,
      VARIABLES,
      auth,
    );
    expect(deep.status).toBe(400);
    expect(codes(deep.json?.errors)).toEqual(['OPERATION_LIMIT']);
    expect(deep.json?.errors?.[0]?.extensions).toMatchObject({ limit: 'maxDepth', max: 4 });

    const padded = `${BAKERY_FEED}\n#${'x'.repeat(3_000)}`;
    const big = await open(transport, padded, VARIABLES, auth);
    expect(big.status).toBe(400);
    expect(big.json?.errors?.[0]?.extensions).toMatchObject({
      code: 'OPERATION_LIMIT',
      limit: 'maxDocumentBytes',
    });
  });

  it('a third stream of one token is refused (429); the metric counts streams open', async () => {
    const auth = await fixture.graph.as(reader(ORG.bakeri));
    await until(async () => (await streams(transport.name)) === 0);
    const first = await open(transport, BAKERY_FEED, VARIABLES, auth);
    const second = await open(transport, BAKERY_FEED, VARIABLES, auth);
    expect([first.status, second.status]).toEqual([200, 200]);
    await until(async () => (await streams(transport.name)) === 2);
    const third = await open(transport, BAKERY_FEED, VARIABLES, auth);
    expect(third.status).toBe(429);
    expect(codes(third.json?.errors)).toEqual(['OPERATION_LIMIT']);

    await sleep(LIVE_MS);
    const sent = await send('live');
    await until(() => first.payloads().length === 1 && second.payloads().length === 1);
    expect(first.payloads()[0]).toMatchObject({
      data: { messagePublished: { message: { id: sent.id } } },
    });

    first.stop();
    await until(async () => (await streams(transport.name)) === 1);
    const again = await open(transport, BAKERY_FEED, VARIABLES, auth);
    expect(again.status).toBe(200);
    second.stop();
    again.stop();
    await until(async () => (await streams(transport.name)) === 0);
  });
});

describe('Accept headers that ask for no subscription stream', () => {
  it.each([
    ['an unknown subscription spec', 'multipart/mixed;subscriptionSpec="2.0"'],
    ['SSE among others', 'text/event-stream, text/html'],
    ['nothing JSON', 'text/html'],
  ])('%s: no stream, a clear error', async (_, accept) => {
    const auth = await fixture.graph.as(reader(ORG.bakeri));
    const res = await fetch(fixture.graph.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, ...auth },
      body: JSON.stringify({ query: BAKERY_FEED, variables: VARIABLES }),
    });
    const body = (await res.json()) as { errors?: Array<{ extensions?: any }> };
    expect(res.status).toBe(406);
    expect(res.headers.get('content-type')).not.toMatch(/multipart|event-stream/);
    expect(codes(body.errors)).toEqual(['BAD_REQUEST']);
  });
});

describe('a hostile Accept header', () => {
  it('naming subscriptionSpec among 5 000 others: answered as a plain request, no stream', async () => {
    const accept = `${'x/y;q=0.1, '.repeat(5_000)}multipart/mixed;subscriptionSpec=9`;
    const auth = await fixture.graph.as(reader(ORG.bakeri));
    const res = await fetch(fixture.graph.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, ...auth },
      body: JSON.stringify({ query: BAKERY_FEED, variables: VARIABLES }),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.headers.get('content-type') ?? '').not.toMatch(/multipart|event-stream/);
    expect(await res.text()).not.toContain('"title"');
  });
});
