import { buildFederatedSchema } from '../../platform/federation.js';
import {
  startSubgraph,
  type StartSubgraphOptions,
  type SubgraphDefinition,
} from '../../platform/subgraph.js';
import { createContext, type Context } from './context.js';
import { NotificationPolicy } from './entities/NotificationPolicy.js';
import { migrations } from './migrations/index.js';
import { Message, MessagePolicyResolver, messageReference } from './resolvers/Message.js';
import { PolicyResolver } from './resolvers/PolicyResolver.js';
import { isEmpty, seed } from './seed.js';

export const name = 'varsling';

export function buildSchema() {
  return buildFederatedSchema(
    { resolvers: [PolicyResolver, MessagePolicyResolver], orphanedTypes: [Message] },
    { Message: messageReference },
  );
}

export const definition: SubgraphDefinition<Context> = {
  name,
  defaultPort: 4003,
  dbSchema: 'varsling',
  entities: [NotificationPolicy],
  migrations,
  buildSchema,
  createContext,
  seed,
  isEmpty,
};

export function start(options: StartSubgraphOptions) {
  return startSubgraph(definition, options);
}
