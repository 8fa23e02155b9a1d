import { buildFederatedSchema } from '../../platform/graphql/federation.js';
import { globalIdResolver } from '../../platform/graphql/globalId.js';
import {
  startSubgraph,
  type StartSubgraphOptions,
  type SubgraphDefinition,
} from '../../platform/subgraph.js';
import { createContext, type Context } from './context.js';
import { ApprovedSender } from './entities/ApprovedSender.js';
import { Attachment } from './entities/Attachment.js';
import { InboxGrant } from './entities/InboxGrant.js';
import { Message } from './entities/Message.js';
import { MassSending } from './entities/MassSending.js';
import { PersonGrant } from './entities/PersonGrant.js';
import { SenderAuthorisation } from './entities/SenderAuthorisation.js';
import { StatusChange } from './entities/StatusChange.js';
import { migrations } from './migrations/index.js';
import { Enhet, EnhetInboxResolver, enhetReference } from './resolvers/Enhet.js';
import { AuthorisationResolver } from './resolvers/AuthorisationResolver.js';
import { EventsResolver } from './resolvers/EventsResolver.js';
import { MassSendingResolver } from './resolvers/MassSendingResolver.js';
import { GrantResolver } from './resolvers/GrantResolver.js';
import {
  AttachmentResolver,
  MessageResolver,
  messageReference,
} from './resolvers/MessageResolver.js';
import { PersonGrantResolver } from './resolvers/PersonGrantResolver.js';
import { RecipientResolver } from './resolvers/RecipientResolver.js';
import { SendResolver } from './resolvers/SendResolver.js';
import { WebhookResolver } from './resolvers/WebhookResolver.js';
import { isEmpty, seed } from './seed.js';
import { startServices, type Services } from './services/index.js';

export const name = 'meldingsboks';

export function buildSchema() {
  return buildFederatedSchema(
    {
      resolvers: [
        MessageResolver,
        AttachmentResolver,
        EnhetInboxResolver,
        SendResolver,
        RecipientResolver,
        GrantResolver,
        PersonGrantResolver,
        EventsResolver,
        AuthorisationResolver,
        MassSendingResolver,
        WebhookResolver,
        globalIdResolver(Enhet, 'Enhet', (e) => e.organisasjonsnummer),
        globalIdResolver(ApprovedSender, 'ApprovedSender', (s) => s.organisasjonsnummer),
      ],
    },
    { Enhet: enhetReference, Message: messageReference },
  );
}

export const definition: SubgraphDefinition<Context, Services> = {
  name,
  defaultPort: 4002,
  dbSchema: 'meldingsboks',
  entities: [
    Message,
    StatusChange,
    Attachment,
    InboxGrant,
    ApprovedSender,
    SenderAuthorisation,
    MassSending,
    PersonGrant,
  ],
  migrations,
  buildSchema,
  startServices,
  createContext,
  subscriptions: true,
  seed,
  isEmpty,
};

export function start(options: StartSubgraphOptions) {
  return startSubgraph(definition, options);
}
