import { ApolloClient, gql, InMemoryCache } from '@apollo/client';
import { BatchHttpLink } from '@apollo/client/link/batch-http';
import { describe, expect, it } from 'vitest';
import { bearer } from '../harness/graphql.js';
import { ORG } from '../subgraphs/meldingsboks/helpers.js';
import { ENHET, INBOX } from './documents.js';
import { useRecipeGraph } from './setup.js';

/**
 * Operation batching (GATEWAY_MAX_BATCH_SIZE): a JSON array of operations in one POST, answered
 * by an array in the same order. Each operation is measured and spends its cost on its own; the
 * cap on the array's length and the size of each document are checked before any runs.
 */

const MAX_BATCH = 3;
/** Anonymous callers may spend 5 points: two of `ANON_ENHET` (2 points each), not three. */
const ANONYMOUS_POINTS = 5;
const ANON_ENHET = `{ enhet(organisasjonsnummer: "${ORG.bakeri}") { navn } }`;

const ctx = useRecipeGraph({
  operations: { maxBatchSize: MAX_BATCH },
  limits: { maxAliases: 3, maxDocumentBytes: 4_096 },
  edge: {
    rateLimits: {
      windowSeconds: 600,
      caller: { points: 1e9, inFlight: 1_000 },
      anonymous: { points: ANONYMOUS_POINTS, inFlight: 1_000 },
    },
  },
});

interface Answer {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

async function postBatch(body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(ctx.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Answer[] | Answer };
}

const codeOf = (a: Answer) => a.errors?.[0]?.extensions?.code;

describe('operation batching over raw HTTP', () => {
  it('answers an array of operations with an array of results, in order', async () => {
    const r = await postBatch(
      [
        { query: ENHET, variables: { org: ORG.bakeri } },
        { query: INBOX, variables: { org: ORG.bakeri, first: 2 } },
      ],
      bearer(ctx.token),
    );
    expect(r.status).toBe(200);
    const [enhet, inbox] = r.body as Answer[];
    expect(enhet!.errors).toBeUndefined();
    expect((enhet!.data!.enhet as { id: string }).id).toBe(`Enhet:${ORG.bakeri}`);
    expect(inbox!.errors).toBeUndefined();
    const page = (inbox!.data!.enhet as { inbox: { edges: unknown[] } }).inbox;
    expect(page.edges).toHaveLength(2);
  });

  it('refuses a batch longer than the cap before any of it runs', async () => {
    const r = await postBatch(
      Array.from({ length: MAX_BATCH + 1 }, () => ({ query: '{ __typename }' })),
      bearer(ctx.token),
    );
    expect(r.status).toBe(400);
    const answer = r.body as Answer;
    expect(codeOf(answer)).toBe('OPERATION_LIMIT');
    expect(answer.errors![0]!.extensions).toMatchObject({
      limit: 'batchSize',
      max: MAX_BATCH,
      actual: MAX_BATCH + 1,
    });
  });

  it('checks the size of every document in the batch', async () => {
    const big = `{ __typename ${' '.repeat(5_000)}}`;
    const r = await postBatch([{ query: '{ __typename }' }, { query: big }], bearer(ctx.token));
    expect(r.status).toBe(400);
    expect(codeOf(r.body as Answer)).toBe('OPERATION_LIMIT');
    expect((r.body as Answer).errors![0]!.extensions).toMatchObject({ limit: 'maxDocumentBytes' });
  });

  it('measures each operation against the limits on its own', async () => {
    const r = await postBatch(
      [
        { query: '{ a: __typename b: __typename }' },
        { query: '{ a: __typename b: __typename c: __typename d: __typename }' },
      ],
      bearer(ctx.token),
    );
    const [fine, tooMany] = r.body as Answer[];
    expect(fine).toEqual({ data: { a: 'Query', b: 'Query' } });
    expect(codeOf(tooMany!)).toBe('OPERATION_LIMIT');
    expect(tooMany!.errors![0]!.extensions).toMatchObject({ limit: 'maxAliases' });
  });

  it('spends the cost of each operation from the budget: the third of three is refused', async () => {
    const r = await postBatch([
      { query: ANON_ENHET },
      { query: ANON_ENHET },
      { query: ANON_ENHET },
    ]);
    const answers = r.body as Answer[];
    expect(answers).toHaveLength(3);
    const served = answers.filter((a) => a.errors === undefined);
    expect(served).toHaveLength(2);
    for (const a of served) expect(a.data).toEqual({ enhet: { navn: expect.any(String) } });
    expect(answers.filter((a) => codeOf(a) === 'RATE_LIMITED')).toHaveLength(1);
    // The budget is spent: a single request after the batch is refused too.
    const after = await postBatch({ query: ANON_ENHET });
    expect(codeOf(after.body as Answer)).toBe('RATE_LIMITED');
  });
});

describe("Apollo Client's BatchHttpLink", () => {
  it('sends concurrent queries as one HTTP request and gets each its own answer', async () => {
    let requests = 0;
    const counting: typeof fetch = (input, init) => {
      requests++;
      return fetch(input, init);
    };
    // recipe:batch-http-link
    const client = new ApolloClient({
      link: new BatchHttpLink({
        uri: ctx.url,
        headers: { authorization: `Bearer ${ctx.token}` },
        // At most GATEWAY_MAX_BATCH_SIZE operations per request.
        batchMax: MAX_BATCH,
        batchInterval: 20,
        fetch: counting,
      }),
      cache: new InMemoryCache(),
    });
    // end:batch-http-link
    const [enhet, inbox] = await Promise.all([
      client.query<{ enhet: { id: string; navn: string } }>({
        query: gql(ENHET),
        variables: { org: ORG.bakeri },
      }),
      client.query<{ enhet: { inbox: { edges: unknown[] } } }>({
        query: gql(INBOX),
        variables: { org: ORG.bakeri, first: 2 },
      }),
    ]);
    expect(enhet.data!.enhet.id).toBe(`Enhet:${ORG.bakeri}`);
    expect(inbox.data!.enhet.inbox.edges).toHaveLength(2);
    expect(requests).toBe(1);
  });
});
