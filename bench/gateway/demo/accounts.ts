import type { DemoSubgraph } from './server.js';

interface User {
  id: string;
  name: string;
  username: string;
  birthday: number;
}

const USERS: User[] = [
  ['1', 'Uri Goldshtein', 'urigo'],
  ['2', 'Dotan Simha', 'dotansimha'],
  ['3', 'Kamil Kisiela', 'kamilkisiela'],
  ['4', 'Arda Tanrikulu', 'ardatan'],
  ['5', 'Gil Gardosh', 'gilgardosh'],
  ['6', 'Laurin Quast', 'laurin'],
].map(([id, name, username]) => ({
  id: id!,
  name: name!,
  username: username!,
  birthday: 1234567890,
}));

/** Users: the root of the demo query and the owner of `User.name`. */
export const accounts: DemoSubgraph = {
  name: 'accounts',
  typeDefs: /* GraphQL */ `
    type Query {
      me: User
      user(id: ID!): User
      users: [User]
    }

    type User @key(fields: "id") {
      id: ID!
      name: String
      username: String @shareable
      birthday: Int
    }
  `,
  resolvers: {
    Query: {
      me: () => USERS[0],
      user: (_: unknown, { id }: { id: string }) => USERS.find((u) => u.id === id) ?? null,
      users: () => USERS,
    },
    User: {
      __resolveReference: ({ id }: { id: string }) => USERS.find((u) => u.id === id) ?? null,
    },
  },
};
