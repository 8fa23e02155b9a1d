import type { EntityManager } from '@mikro-orm/postgresql';
import { buildFederatedSchema } from '../../platform/federation.js';
import {
  startSubgraph,
  type StartSubgraphOptions,
  type SubgraphDefinition,
} from '../../platform/subgraph.js';
import { createContext, type Context } from './context.js';
import { Enhet } from './entities/Enhet.js';
import { Organisasjonsform } from './entities/Organisasjonsform.js';
import { migrations } from './migrations/index.js';
import { EnhetResolver, referenceResolvers } from './resolvers/EnhetResolver.js';
import { isEmpty, seed } from './seed.js';

export const name = 'enhetsregisteret';

export function buildSchema() {
  return buildFederatedSchema({ resolvers: [EnhetResolver] }, referenceResolvers);
}

export const definition: SubgraphDefinition<Context> = {
  name,
  defaultPort: 4001,
  dbSchema: 'enhetsregisteret',
  entities: [Enhet, Organisasjonsform],
  migrations,
  buildSchema,
  createContext,
  seed: (em: EntityManager) => seed(em),
  isEmpty,
};

export function start(options: StartSubgraphOptions) {
  return startSubgraph(definition, options);
}
