import { ApolloClient, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';
import { describe, expect, it } from 'vitest';
import { post } from '../harness/graphql.js';
import { ORG } from '../subgraphs/meldingsboks/helpers.js';
import { ENHET, INBOX, SEARCH } from './documents.js';
import { captureConsoleWarnings, EXTRA_MESSAGES, useRecipeGraph } from './setup.js';

/**
 * The README's Apollo Client recipe (Apollo Client 4 over HTTP), run against the whole graph:
 * InMemoryCache with no `keyFields` normalises every entity by its `id`, and the one type
 * policy a frontend needs is the connection merge (`relayStylePagination`), without which
 * `fetchMore` replaces page 1 instead of appending page 2.
 */

const ctx = useRecipeGraph();

// recipe:apollo-client
function createApolloClient(url: string, token: string) {
  return new ApolloClient({
    link: new HttpLink({ uri: url, headers: { authorization: `Bearer ${token}` } }),
    cache: new InMemoryCache({
      typePolicies: {
        // Pages of an inbox are one list: fetchMore appends. `filter` keeps each filtered view apart.
        Enhet: { fields: { inbox: relayStylePagination(['filter']) } },
      },
    }),
  });
}
// end:apollo-client

/** What Apollo Client told the developer while each test ran (missing ids, lost cache data). */
const warnings = captureConsoleWarnings();

interface InboxData {
  enhet: {
    id: string;
    inbox: {
      totalCount: number;
      edges: { cursor: string; node: { id: string; title: string } }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
  };
}

const extract = (client: ApolloClient) => client.cache.extract() as Record<string, unknown>;
const keysOf = (client: ApolloClient, typename: string) =>
  Object.keys(extract(client)).filter((k) => k.startsWith(`${typename}:`));

describe('Apollo Client 4 with InMemoryCache', () => {
  it('normalises the inbox with no keyFields, and fetchMore appends page 2 to page 1', async () => {
    const client = createApolloClient(ctx.url, ctx.token);
    const query = gql(INBOX);
    const watched = client.watchQuery<InboxData>({
      query,
      variables: { org: ORG.bakeri, first: 2 },
    });
    const pages: string[][] = [];
    const seen = watched.subscribe((result) => {
      if (result.dataState !== 'complete') return;
      pages.push(result.data.enhet.inbox.edges.map((e) => e.node.id));
    });
    await expect.poll(() => pages.length).toBeGreaterThan(0);
    const first = await client.query<InboxData>({
      query,
      variables: { org: ORG.bakeri, first: 2 },
    });
    const page1 = first.data!.enhet.inbox;
    expect(page1.edges).toHaveLength(2);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    expect(page1.totalCount).toBeGreaterThanOrEqual(2 + EXTRA_MESSAGES);

    await watched.fetchMore({ variables: { after: page1.pageInfo.endCursor } });
    const merged = client.readQuery<InboxData>({ query, variables: { org: ORG.bakeri, first: 2 } });
    const ids = merged!.enhet.inbox.edges.map((e) => e.node.id);
    expect(ids).toHaveLength(4);
    expect(ids.slice(0, 2)).toEqual(page1.edges.map((e) => e.node.id));
    expect(new Set(ids).size).toBe(4);
    await expect.poll(() => pages.at(-1)).toEqual(ids);
    seen.unsubscribe();

    // One entry for the bakery, one per message and one per sender: normalised, not embedded.
    const cache = extract(client);
    expect(cache[`Enhet:Enhet:${ORG.bakeri}`]).toMatchObject({ navn: expect.any(String) });
    for (const id of ids) expect(cache[`Message:${id}`]).toBeDefined();
    expect(keysOf(client, 'Enhet')).toContain(`Enhet:Enhet:${ORG.skatteetaten}`);
    expect(warnings).toEqual([]);
  });

  it('keeps one cache entry per enhet across the register queries', async () => {
    const client = createApolloClient(ctx.url, ctx.token);
    const enhet = await client.query<{ enhet: { id: string; navn: string } }>({
      query: gql(ENHET),
      variables: { org: ORG.bakeri },
    });
    expect(enhet.data!.enhet.id).toBe(`Enhet:${ORG.bakeri}`);
    const search = await client.query<{ enheter: { nodes: { organisasjonsnummer: string }[] } }>({
      query: gql(SEARCH),
      variables: { first: 50 },
    });
    const numbers = search.data!.enheter.nodes.map((n) => n.organisasjonsnummer);
    expect(numbers).toContain(ORG.bakeri);

    // Every enhet in the search is one entry, the bakery included (the enhet query's too).
    const enheter = keysOf(client, 'Enhet');
    expect(enheter.sort()).toEqual([...new Set(numbers)].map((n) => `Enhet:Enhet:${n}`).sort());
    // Forms are shared: AS once, however many AS enheter came.
    const forms = keysOf(client, 'Organisasjonsform');
    expect(forms).toContain('Organisasjonsform:Organisasjonsform:AS');
    expect(forms.length).toBeLessThan(numbers.length);
    expect(warnings).toEqual([]);
  });
});

describe('global ids', () => {
  it('every subgraph that contributes Enhet answers the same id in _entities', async () => {
    const representations = [{ __typename: 'Enhet', organisasjonsnummer: ORG.bakeri }];
    const query = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Enhet { id } } }';
    for (const subgraph of ctx.graph.subgraphs.values()) {
      const r = await post<{ _entities: { id: string }[] }>(subgraph.url, query, {
        r: representations,
      });
      expect(r.errors, subgraph.url).toBeUndefined();
      expect(r.data!._entities).toEqual([{ id: `Enhet:${ORG.bakeri}` }]);
    }
  });
});
