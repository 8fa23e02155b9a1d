import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApolloClient, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { addTypenameToDocument } from '@apollo/client/utilities';
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadTrustedDocuments, sha256 } from '../../gateway/edge/operations.js';
import { bearer, codes, post } from '../harness/graphql.js';
import { ORG } from '../subgraphs/meldingsboks/helpers.js';
import { ENHET, INBOX } from './documents.js';
import { useRecipeGraph } from './setup.js';

/**
 * Trusted documents (GATEWAY_PERSISTED_DOCUMENTS): with a manifest, only its documents run,
 * named by `documentId` or APQ's `sha256Hash`; a free-form query, an unknown id and an attempt
 * to register a new document (APQ) are refused, on HTTP and on graphql-ws alike.
 */

/**
 * The documents as Apollo Client sends them, `__typename` added by its cache (what its
 * persisted-query link hashes, and what a manifest generator for Apollo Client writes).
 */
const printed = (doc: string) => print(addTypenameToDocument(gql(doc)));
const TRUSTED = [printed(ENHET), printed(INBOX)];
const [ENHET_ID, INBOX_ID] = TRUSTED.map(sha256) as [string, string];

let dir: string;
let manifest: Map<string, string>;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dpv-trusted-'));
  const file = path.join(dir, 'manifest.json');
  await writeFile(file, JSON.stringify(Object.fromEntries(TRUSTED.map((d) => [sha256(d), d]))));
  manifest = loadTrustedDocuments(file);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const ctx = useRecipeGraph({
  production: true,
  // The manifest is read before the graph starts (beforeAll runs in order of registration).
  operations: {
    get trustedDocuments() {
      return manifest;
    },
    maxBatchSize: 0,
  },
});

async function postBody(body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(ctx.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, ...((await res.json()) as { data?: any; errors?: any[] }) };
}

describe('the manifest', () => {
  it('takes hash → document and Apollo manifests, and refuses a key that is not the hash', async () => {
    const apollo = path.join(dir, 'apollo.json');
    await writeFile(
      apollo,
      JSON.stringify({
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [{ id: 'enhet-v1', name: 'Enhet', type: 'query', body: TRUSTED[0] }],
      }),
    );
    expect([...loadTrustedDocuments(apollo)]).toEqual([['enhet-v1', TRUSTED[0]]]);
    const wrong = path.join(dir, 'wrong.json');
    await writeFile(wrong, JSON.stringify({ [sha256('{ x }')]: '{ y }' }));
    expect(() => loadTrustedDocuments(wrong)).toThrow(/not the SHA-256/);
    expect(manifest.size).toBe(2);
  });
});

describe('trusted documents over HTTP', () => {
  it('runs a document named by documentId', async () => {
    const r = await postBody({ documentId: ENHET_ID, variables: { org: ORG.bakeri } });
    expect(r.errors).toBeUndefined();
    expect(r.data.enhet.id).toBe(`Enhet:${ORG.bakeri}`);
  });

  it('runs a document named by an APQ sha256Hash, on POST and on GET', async () => {
    const extensions = { persistedQuery: { version: 1, sha256Hash: INBOX_ID } };
    const r = await postBody(
      { extensions, variables: { org: ORG.bakeri, first: 2 } },
      bearer(ctx.token),
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.enhet.inbox.edges).toHaveLength(2);

    const params = new URLSearchParams({
      extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: ENHET_ID } }),
      variables: JSON.stringify({ org: ORG.bakeri }),
    });
    const res = await fetch(`${ctx.url}?${params}`, { headers: { 'x-request-id': 'get-1' } });
    const body = (await res.json()) as { data?: any; errors?: unknown };
    expect(res.status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.enhet.id).toBe(`Enhet:${ORG.bakeri}`);
  });

  it('refuses a free-form query, an unknown id and a document registered under a trusted id', async () => {
    const free = await post(ctx.url, '{ __typename }');
    expect(free.status).toBe(400);
    expect(codes(free)).toEqual(['PERSISTED_QUERY_ID_REQUIRED']);

    const unknown = await postBody({ documentId: sha256('{ __typename }') });
    expect(unknown.status).toBe(400);
    expect(unknown.errors!.map((e) => e.extensions.code)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);

    // APQ's registration of a new document: the hash of another query does not make it run.
    const registered = await postBody({
      query: '{ enheter(first: 100) { nodes { navn } } }',
      extensions: { persistedQuery: { version: 1, sha256Hash: ENHET_ID } },
      variables: { org: ORG.bakeri },
    });
    expect(registered.errors!.map((e) => e.extensions.code)).toEqual([
      'PERSISTED_QUERY_NOT_IN_LIST',
    ]);

    const params = new URLSearchParams({ query: '{ __typename }' });
    const get = await fetch(`${ctx.url}?${params}`, { headers: { 'x-request-id': 'get-2' } });
    expect(get.status).toBe(400);
    expect(((await get.json()) as { errors: any[] }).errors[0].extensions.code).toBe(
      'PERSISTED_QUERY_ID_REQUIRED',
    );
  });

  it('keeps the inbox private: a trusted document runs with the rights of its caller', async () => {
    const anonymous = await postBody({
      documentId: INBOX_ID,
      variables: { org: ORG.bakeri, first: 2 },
    });
    expect(anonymous.data?.enhet?.inbox ?? null).toBeNull();
    expect(anonymous.errors!.map((e) => e.extensions.code)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^(UNAUTHENTICATED|FORBIDDEN)$/)]),
    );
  });

  it('refuses a batch when batching is off', async () => {
    const r = await postBody([{ documentId: ENHET_ID, variables: { org: ORG.bakeri } }]);
    expect(r.status).toBe(400);
    expect(r.errors![0].extensions).toMatchObject({
      code: 'OPERATION_LIMIT',
      limit: 'batchSize',
      max: 0,
    });
  });

  it("serves Apollo Client's persisted-query link with no change to the client", async () => {
    // recipe:persisted-query-link
    const client = new ApolloClient({
      link: createPersistedQueryLink({ sha256 }).concat(
        new HttpLink({ uri: ctx.url, headers: { authorization: `Bearer ${ctx.token}` } }),
      ),
      cache: new InMemoryCache(),
    });
    // end:persisted-query-link
    const r = await client.query<{ enhet: { id: string } }>({
      query: gql(ENHET),
      variables: { org: ORG.bakeri },
    });
    expect(r.data!.enhet.id).toBe(`Enhet:${ORG.bakeri}`);
    // A document outside the manifest: its hash is not in the list (and APQ's retry with the
    // full query is refused as well).
    const other = gql('{ enheter(first: 1) { nodes { id navn } } }');
    await expect(client.query({ query: other })).rejects.toMatchObject({
      statusCode: 400,
      bodyText: expect.stringMatching(/PERSISTED_QUERY_(NOT_IN_LIST|ID_REQUIRED)/),
    });
  });
});

describe('trusted documents over graphql-ws', () => {
  const run = (payload: { query: string; variables?: Record<string, unknown>; extensions?: any }) =>
    new Promise<{ data?: any; errors?: any[] }>((resolve) => {
      const client = createClient({
        url: ctx.url.replace('http', 'ws'),
        webSocketImpl: WebSocket,
        retryAttempts: 0,
      });
      let result: { data?: any; errors?: any[] } = {};
      client.subscribe(payload, {
        next: (r) => void (result = r as typeof result),
        error: (errors) => {
          void client.dispose();
          resolve({ errors: errors as any[] });
        },
        complete: () => {
          void client.dispose();
          resolve(result);
        },
      });
    });

  it('runs a trusted document named by its hash and refuses any other', async () => {
    const ok = await run({
      query: '',
      variables: { org: ORG.bakeri },
      extensions: { persistedQuery: { version: 1, sha256Hash: ENHET_ID } },
    });
    expect(ok.errors).toBeUndefined();
    expect(ok.data.enhet.id).toBe(`Enhet:${ORG.bakeri}`);

    const free = await run({
      query: `subscription { messagePublished(recipient: "${ORG.bakeri}") { cursor } }`,
    });
    expect(free.errors!.map((e) => e.extensions.code)).toEqual(['PERSISTED_QUERY_ID_REQUIRED']);
  });
});
