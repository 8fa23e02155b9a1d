import 'reflect-metadata';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import {
  graphql,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  parse,
  valueFromAST,
  type GraphQLArgument,
  type GraphQLInputField,
  type GraphQLSchema,
} from 'graphql';
import { buildSchema, createResolversMap, type BuildSchemaOptions } from 'type-graphql';
import { CACHE_CONTROL_SDL, privateUnlessHinted } from './cacheControl.js';

/** Federation directives a subgraph may use. */
const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", ' +
  'import: ["@key", "@shareable", "@external", "@requires", "@provides", "@interfaceObject"])';

export type ReferenceResolvers = Record<
  string,
  { __resolveReference(reference: never, context: never): unknown }
>;

/**
 * Subscriptions here bring their own `subscribe` (a durable event source), never type-graphql's
 * topics; type-graphql still wants a PubSub to be given.
 */
const NO_TOPICS: NonNullable<BuildSchemaOptions['pubSub']> = {
  publish: () => {
    throw new Error('Subscriptions use their own event source, not topics');
  },
  subscribe: () => {
    throw new Error('Subscriptions use their own event source, not topics');
  },
};

/**
 * Builds a Federation 2 subgraph schema from type-graphql classes. type-graphql knows nothing of
 * federation, so its schema is printed with directives (graphql's own printer drops `@key`),
 * linked to the federation spec and rebuilt by `buildSubgraphSchema`; `__resolveReference`
 * functions are merged into the resolver map by hand.
 */
export async function buildFederatedSchema(
  options: Omit<BuildSchemaOptions, 'skipCheck'>,
  referenceResolvers: ReferenceResolvers = {},
): Promise<GraphQLSchema> {
  const schema = await buildSchema({ pubSub: NO_TOPICS, ...options, skipCheck: true });
  const printed = printSchemaWithDirectives(schema);
  // Cache hints (cacheControl.ts) are declared only where a subgraph gives some.
  const hints = printed.includes('@cacheControl') ? CACHE_CONTROL_SDL : '';
  const typeDefs = privateUnlessHinted(parse(`${FEDERATION_LINK}\n${hints}\n${printed}`));
  const resolvers = createResolversMap(schema) as GraphQLResolverMap<unknown>;
  for (const [typeName, reference] of Object.entries(referenceResolvers)) {
    resolvers[typeName] = { ...(resolvers[typeName] as object), ...reference } as never;
  }
  return reviveDefaults(buildSubgraphSchema({ typeDefs, resolvers }));
}

/**
 * Default values read again, now that enums have their values. `buildSubgraphSchema` coerces
 * each default from the SDL while enum values are still their names, and gives enums their
 * values (type-graphql's `Language.NB = 'nb'`) only afterwards: a default `NB` would reach the
 * resolver as `'NB'`, which no comparison with `Language.NB` matches.
 */
function reviveDefaults(schema: GraphQLSchema): GraphQLSchema {
  const revive = (input: GraphQLArgument | GraphQLInputField) => {
    const literal = input.astNode?.defaultValue;
    if (literal) input.defaultValue = valueFromAST(literal, input.type);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) field.args.forEach(revive);
    } else if (isInputObjectType(type)) {
      Object.values(type.getFields()).forEach(revive);
    }
  }
  return schema;
}

/** The SDL a subgraph reports in `_service { sdl }`, which is what composition reads. */
export async function printSdl(schema: GraphQLSchema): Promise<string> {
  const result = await graphql({ schema, source: '{ _service { sdl } }' });
  const sdl = (result.data?._service as { sdl?: string } | undefined)?.sdl;
  if (!sdl) throw new Error(`No _service.sdl: ${JSON.stringify(result.errors)}`);
  return sdl;
}
