import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  FEDERATION_2_3,
  planNodeKinds,
  representations,
  startExecutorGraph,
  type ExecutorGraph,
  type TestSubgraph,
  PLANNERS,
} from './harness.js';

/**
 * A media library: `media` owns the entity interface Media and its implementations, `ratings`
 * adds a field to every Media through @interfaceObject, `search` returns a value interface and a
 * union whose members are other subgraphs' entities.
 */
const MEDIA = [
  { __typename: 'Book', id: 'b1', title: 'Dune', pages: 412 },
  { __typename: 'Movie', id: 'm1', title: 'Alien', minutes: 117 },
  { __typename: 'Book', id: 'b2', title: 'Emma', pages: 474 },
];
const RATINGS: Record<string, number> = { b1: 5, m1: 4, b2: 3 };
const byId = (id: string) => MEDIA.find((m) => m.id === id);
const typename = (value: { __typename: string }) => value.__typename;

const media: TestSubgraph = {
  name: 'media',
  typeDefs: `${FEDERATION_2_3(['@key'])}
    type Query {
      library: [Media!]!
      media(id: ID!): Media
    }
    interface Media @key(fields: "id") {
      id: ID!
      title: String!
    }
    type Book implements Media @key(fields: "id") {
      id: ID!
      title: String!
      pages: Int!
    }
    type Movie implements Media @key(fields: "id") {
      id: ID!
      title: String!
      minutes: Int!
    }`,
  resolvers: {
    Query: {
      library: () => MEDIA,
      media: (_: unknown, { id }: { id: string }) => byId(id),
    },
    Media: {
      __resolveReference: (ref: { id: string }) => byId(ref.id),
      __resolveType: typename,
    },
    Book: { __resolveReference: (ref: { id: string }) => byId(ref.id) },
    Movie: { __resolveReference: (ref: { id: string }) => byId(ref.id) },
  },
};

const ratings: TestSubgraph = {
  name: 'ratings',
  typeDefs: `${FEDERATION_2_3(['@key', '@interfaceObject'])}
    type Query {
      topRated: [Media!]!
    }
    type Media @key(fields: "id") @interfaceObject {
      id: ID!
      rating: Int!
    }`,
  resolvers: {
    Query: { topRated: () => [{ id: 'b1' }, { id: 'm1' }] },
    Media: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      rating: (m: { id: string }) => RATINGS[m.id],
    },
  },
};

const search: TestSubgraph = {
  name: 'search',
  typeDefs: `${FEDERATION_2_3(['@key'])}
    type Query {
      search(term: String!): [Searchable!]!
      feed: [FeedItem!]!
    }
    interface Searchable {
      id: ID!
      matchedOn: String!
    }
    type Book implements Searchable @key(fields: "id") {
      id: ID!
      matchedOn: String!
    }
    type Podcast implements Searchable @key(fields: "id") {
      id: ID!
      matchedOn: String!
      host: String!
    }
    type Announcement {
      text: String!
    }
    union FeedItem = Book | Podcast | Announcement`,
  resolvers: {
    Query: {
      search: () => [
        { __typename: 'Podcast', id: 'pod1', matchedOn: 'host', host: 'Ira' },
        { __typename: 'Book', id: 'b2', matchedOn: 'title' },
      ],
      feed: () => [
        { __typename: 'Podcast', id: 'pod1', host: 'Ira' },
        { __typename: 'Announcement', text: 'Welcome!' },
        { __typename: 'Book', id: 'b1' },
      ],
    },
    Searchable: { __resolveType: typename },
    FeedItem: { __resolveType: typename },
    Book: { __resolveReference: (ref: { id: string }) => ({ ...ref, matchedOn: 'reference' }) },
    Podcast: { __resolveReference: (ref: { id: string }) => ({ ...ref, host: 'Ira' }) },
  },
};

describe.each(PLANNERS)('planner: %s', (planner) => {
  let graph: ExecutorGraph;
  beforeAll(async () => {
    graph = await startExecutorGraph([media, ratings, search], { planner });
  });
  afterAll(async () => {
    await graph?.close();
  });
  beforeEach(() => graph.resetFetches());

  describe('interfaces', () => {
    it('interface fields, __typename and inline fragments on concrete types', async () => {
      const r = await graph.query(`{
        library { __typename id title ... on Book { pages } ... on Movie { minutes } }
      }`);
      expect(r.body).toEqual({
        data: {
          library: [
            { __typename: 'Book', id: 'b1', title: 'Dune', pages: 412 },
            { __typename: 'Movie', id: 'm1', title: 'Alien', minutes: 117 },
            { __typename: 'Book', id: 'b2', title: 'Emma', pages: 474 },
          ],
        },
      });
    });

    it('a fragment on one implementation leaves the others as empty objects', async () => {
      const r = await graph.query(`{ library { ... on Movie { minutes } } }`);
      expect(r.body).toEqual({ data: { library: [{}, { minutes: 117 }, {}] } });
    });

    it('a fragment on the interface itself, and a fragment that does not match', async () => {
      const r = await graph.query(`{
        media(id: "b2") { ... on Media { title } ... on Movie { minutes } }
      }`);
      expect(r.body).toEqual({ data: { media: { title: 'Emma' } } });
    });

    it('a value interface whose implementations are entities of other subgraphs', async () => {
      const q = `{
        search(term: "e") {
          __typename id matchedOn
          ... on Book { title pages rating }
          ... on Podcast { host }
        }
      }`;
      expect(planNodeKinds(graph.plan(q))).toContain('Flatten');
      const r = await graph.query(q);
      expect(r.body).toEqual({
        data: {
          search: [
            { __typename: 'Podcast', id: 'pod1', matchedOn: 'host', host: 'Ira' },
            {
              __typename: 'Book',
              id: 'b2',
              matchedOn: 'title',
              title: 'Emma',
              pages: 474,
              rating: 3,
            },
          ],
        },
      });
      // Only the book is an entity the other subgraphs know.
      expect(representations(graph.fetches('media'))).toEqual([{ __typename: 'Book', id: 'b2' }]);
    });
  });

  describe('@interfaceObject', () => {
    it('adds a field to every implementation, sent to its subgraph as the interface', async () => {
      const q = `{ library { id title rating } }`;
      const plan = graph.plan(q);
      expect(planNodeKinds(plan)).toEqual(['Sequence', 'Fetch', 'Flatten', 'Fetch']);
      const r = await graph.query(q);
      expect(r.body).toEqual({
        data: {
          library: [
            { id: 'b1', title: 'Dune', rating: 5 },
            { id: 'm1', title: 'Alien', rating: 4 },
            { id: 'b2', title: 'Emma', rating: 3 },
          ],
        },
      });
      // ratings knows no Book or Movie: it must be asked for Media.
      expect(representations(graph.fetches('ratings'))).toEqual([
        { __typename: 'Media', id: 'b1' },
        { __typename: 'Media', id: 'm1' },
        { __typename: 'Media', id: 'b2' },
      ]);
    });

    it('the concrete type of an object from the interface-object subgraph comes from its owner', async () => {
      const q = `{ topRated { __typename id rating title ... on Book { pages } ... on Movie { minutes } } }`;
      expect(planNodeKinds(graph.plan(q))[0]).toBe('Sequence');
      const r = await graph.query(q);
      expect(r.body).toEqual({
        data: {
          topRated: [
            { __typename: 'Book', id: 'b1', rating: 5, title: 'Dune', pages: 412 },
            { __typename: 'Movie', id: 'm1', rating: 4, title: 'Alien', minutes: 117 },
          ],
        },
      });
    });

    it('only __typename from the interface-object subgraph still asks the owner', async () => {
      const r = await graph.query(`{ topRated { __typename } }`);
      expect(r.body).toEqual({
        data: { topRated: [{ __typename: 'Book' }, { __typename: 'Movie' }] },
      });
    });

    it('a field added by @interfaceObject inside a fragment on an implementation', async () => {
      const r = await graph.query(`{ media(id: "m1") { ... on Movie { minutes rating } } }`);
      expect(r.body).toEqual({ data: { media: { minutes: 117, rating: 4 } } });
    });
  });

  describe('unions', () => {
    it('members from three places: a value type, and entities completed by other subgraphs', async () => {
      const q = `{
        feed {
          __typename
          ... on Book { id title rating }
          ... on Podcast { host }
          ... on Announcement { text }
        }
      }`;
      expect(planNodeKinds(graph.plan(q))[0]).toBe('Sequence');
      const r = await graph.query(q);
      expect(r.body).toEqual({
        data: {
          feed: [
            { __typename: 'Podcast', host: 'Ira' },
            { __typename: 'Announcement', text: 'Welcome!' },
            { __typename: 'Book', id: 'b1', title: 'Dune', rating: 5 },
          ],
        },
      });
    });

    it('only __typename on a union needs no other subgraph', async () => {
      const r = await graph.query(`{ feed { __typename } }`);
      expect(r.body).toEqual({
        data: {
          feed: [{ __typename: 'Podcast' }, { __typename: 'Announcement' }, { __typename: 'Book' }],
        },
      });
      expect(graph.fetches('media')).toHaveLength(0);
      expect(graph.fetches('ratings')).toHaveLength(0);
    });
  });
});
