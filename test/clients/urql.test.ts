import { Client, fetchExchange, gql } from '@urql/core';
import { cacheExchange, type Cache } from '@urql/exchange-graphcache';
import { relayPagination } from '@urql/exchange-graphcache/extras';
import { beforeEach, describe, expect, it } from 'vitest';
import { ORG } from '../subgraphs/meldingsboks/helpers.js';
import { ENHET, INBOX, SEARCH } from './documents.js';
import { captureConsoleWarnings, useRecipeGraph } from './setup.js';

/**
 * The README's urql recipe (urql 6 with Graphcache), run against the whole graph: no `keys`
 * for any entity (each has an `id`), and `relayPagination` on the inbox so that page 2 is
 * appended to page 1.
 */

const ctx = useRecipeGraph();

/**
 * Reads the store while Graphcache writes a `Query.enhet` (it can be read only then): for the
 * test's inspection only, the recipe itself has no `updates`.
 */
let probe: ((cache: Cache) => void) | undefined;
const probing = {
  Query: { enhet: (_r: unknown, _a: unknown, cache: Cache) => probe?.(cache) },
};

// recipe:urql
function createUrqlClient(url: string, token: string, updates = {}) {
  return new Client({
    url,
    fetchOptions: { headers: { authorization: `Bearer ${token}` } },
    exchanges: [
      cacheExchange({
        // Pages of an inbox are one list: a query for the next page returns them all.
        resolvers: { Enhet: { inbox: relayPagination() } },
        updates,
      }),
      fetchExchange,
    ],
  });
}
// end:urql

/** What Graphcache told the developer while each test ran ("Invalid key" and the like). */
const warnings = captureConsoleWarnings();
beforeEach(() => {
  probe = undefined;
});

interface InboxData {
  enhet: {
    inbox: {
      edges: { node: { id: string } }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
  };
}

describe('urql 6 with Graphcache', () => {
  it('normalises the inbox with no keys, and the next page comes appended to the first', async () => {
    const client = createUrqlClient(ctx.url, ctx.token, probing);
    const query = gql(INBOX);
    const first = await client.query<InboxData>(query, { org: ORG.bakeri, first: 2 }).toPromise();
    expect(first.error).toBeUndefined();
    const page1 = first.data!.enhet.inbox;
    expect(page1.edges).toHaveLength(2);
    const bakery = `Enhet:Enhet:${ORG.bakeri}`;
    let enhetLink: unknown;
    let pages: unknown[] = [];
    let titles: unknown[] = [];
    probe = (cache) => {
      enhetLink = cache.resolve('Query', 'enhet', { organisasjonsnummer: ORG.bakeri });
      pages = cache.inspectFields(bakery).filter((f) => f.fieldName === 'inbox');
      titles = page1.edges.map((e) => cache.resolve(`Message:${e.node.id}`, 'title'));
    };
    const second = await client
      .query<InboxData>(query, { org: ORG.bakeri, first: 2, after: page1.pageInfo.endCursor })
      .toPromise();
    expect(second.error).toBeUndefined();
    const ids = second.data!.enhet.inbox.edges.map((e) => e.node.id);
    expect(ids).toHaveLength(4);
    expect(ids.slice(0, 2)).toEqual(page1.edges.map((e) => e.node.id));

    // The bakery is one entry holding both pages; each message is an entry of its own.
    expect(enhetLink).toBe(bakery);
    expect(pages).toHaveLength(2);
    expect(titles).toEqual(page1.edges.map(() => expect.any(String)));
    expect(warnings).toEqual([]);
  });

  it('keeps one entry per enhet across the register queries, with no "Invalid key"', async () => {
    const client = createUrqlClient(ctx.url, ctx.token, probing);
    const search = await client.query(gql(SEARCH), { first: 50 }).toPromise();
    expect(search.error).toBeUndefined();
    let fromSearch: unknown[] = [];
    let fromEnhet: unknown;
    let form: unknown;
    probe = (cache) => {
      const page = cache.resolve('Query', 'enheter', { first: 50 }) as string;
      fromSearch = cache.resolve(page, 'nodes') as unknown[];
      fromEnhet = cache.resolve('Query', 'enhet', { organisasjonsnummer: ORG.bakeri });
      form = cache.resolve(fromEnhet as string, 'organisasjonsform');
    };
    const enhet = await client.query(gql(ENHET), { org: ORG.bakeri }).toPromise();
    expect(enhet.error).toBeUndefined();
    // The bakery found by the search and the one asked for by number are one entry.
    expect(fromEnhet).toBe(`Enhet:Enhet:${ORG.bakeri}`);
    expect(fromSearch).toContain(fromEnhet);
    expect(form).toBe('Organisasjonsform:Organisasjonsform:AS');
    expect(warnings).toEqual([]);
  });
});
