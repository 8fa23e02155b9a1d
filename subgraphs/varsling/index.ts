import { buildFederatedSchema } from '../../platform/graphql/federation.js';
import { globalIdResolver } from '../../platform/graphql/globalId.js';
import {
  startSubgraph,
  type StartSubgraphOptions,
  type SubgraphDefinition,
} from '../../platform/subgraph.js';
import { createContext, type Context } from './context.js';
import { NotificationPolicy } from './entities/NotificationPolicy.js';
import { migrations } from './migrations/index.js';
import {
  Enhet,
  EnhetNotificationResolver,
  enhetReference,
  Message,
  MessagePolicyResolver,
  messageReference,
} from './resolvers/Message.js';
import { ParkedEventResolver } from './resolvers/ParkedEventResolver.js';
import { PersonContactResolver } from './resolvers/PersonContactResolver.js';
import { PolicyResolver } from './resolvers/PolicyResolver.js';
import { PreviewResolver } from './resolvers/PreviewResolver.js';
import { isEmpty, seed } from './seed.js';
import { startServices, type Services } from './services/index.js';

export const name = 'varsling';

export function buildSchema() {
  return buildFederatedSchema(
    {
      resolvers: [
        PolicyResolver,
        MessagePolicyResolver,
        EnhetNotificationResolver,
        PersonContactResolver,
        PreviewResolver,
        ParkedEventResolver,
        globalIdResolver(Enhet, 'Enhet', (e) => e.organisasjonsnummer),
      ],
      orphanedTypes: [Message],
    },
    { Message: messageReference, Enhet: enhetReference },
  );
}

export const definition: SubgraphDefinition<Context, Services> = {
  name,
  defaultPort: 4003,
  dbSchema: 'varsling',
  entities: [NotificationPolicy],
  migrations,
  buildSchema,
  startServices,
  createContext,
  seed,
  isEmpty,
};

export function start(options: StartSubgraphOptions) {
  return startSubgraph(definition, options);
}
