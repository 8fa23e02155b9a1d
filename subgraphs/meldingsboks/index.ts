import { buildFederatedSchema } from '../../platform/federation.js';
import {
  startSubgraph,
  type StartSubgraphOptions,
  type SubgraphDefinition,
} from '../../platform/subgraph.js';
import { createContext, type Context } from './context.js';
import { Message } from './entities/Message.js';
import { migrations } from './migrations/index.js';
import { EnhetInboxResolver, enhetReference } from './resolvers/Enhet.js';
import { MessageResolver, messageReference } from './resolvers/MessageResolver.js';
import { isEmpty, seed } from './seed.js';

export const name = 'meldingsboks';

export function buildSchema() {
  return buildFederatedSchema(
    { resolvers: [MessageResolver, EnhetInboxResolver] },
    { Enhet: enhetReference, Message: messageReference },
  );
}

export const definition: SubgraphDefinition<Context> = {
  name,
  defaultPort: 4002,
  dbSchema: 'meldingsboks',
  entities: [Message],
  migrations,
  buildSchema,
  createContext,
  seed,
  isEmpty,
};

export function start(options: StartSubgraphOptions) {
  return startSubgraph(definition, options);
}
