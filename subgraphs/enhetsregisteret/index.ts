import type { EntityManager } from '@mikro-orm/postgresql';
import { buildFederatedSchema } from '../../platform/graphql/federation.js';
import { PUBLIC } from '../../platform/graphql/cacheControl.js';
import { contentIdResolver, globalIdResolver } from '../../platform/graphql/globalId.js';
import {
  startSubgraph,
  type StartSubgraphOptions,
  type SubgraphDefinition,
} from '../../platform/subgraph.js';
import { createContext, type Context } from './context.js';
import { Enhet } from './entities/Enhet.js';
import { Adresse, Kode } from './entities/Kode.js';
import { Organisasjonsform } from './entities/Organisasjonsform.js';
import { migrations } from './migrations/index.js';
import { Rolle } from './entities/Rolle.js';
import { Underenhet } from './entities/Underenhet.js';
import { Varslingsadresse } from './entities/Varslingsadresse.js';
import { EnhetResolver, enhetReference } from './resolvers/EnhetResolver.js';
import { PersonrolleResolver } from './resolvers/PersonrolleResolver.js';
import { RolleforholdResolver } from './resolvers/RolleforholdResolver.js';
import { RolleResolver } from './resolvers/RolleResolver.js';
import { UnderenhetResolver } from './resolvers/UnderenhetResolver.js';
import { VarslingsadresseResolver } from './resolvers/VarslingsadresseResolver.js';
import { isEmpty, seed } from './seed.js';

export const name = 'enhetsregisteret';

export function buildSchema() {
  return buildFederatedSchema(
    {
      resolvers: [
        EnhetResolver,
        UnderenhetResolver,
        RolleResolver,
        RolleforholdResolver,
        PersonrolleResolver,
        VarslingsadresseResolver,
        globalIdResolver(Enhet, 'Enhet', (e) => e.organisasjonsnummer, PUBLIC),
        globalIdResolver(Underenhet, 'Underenhet', (u) => u.organisasjonsnummer, PUBLIC),
        globalIdResolver(Organisasjonsform, 'Organisasjonsform', (f) => f.kode, PUBLIC),
        contentIdResolver(Kode, 'Kode', (k) => [k.kode, k.beskrivelse], PUBLIC),
        contentIdResolver(
          Adresse,
          'Adresse',
          (a) => [
            a.adresse ?? [],
            a.postnummer ?? null,
            a.poststed ?? null,
            a.kommunenummer ?? null,
            a.kommune ?? null,
            a.landkode ?? null,
            a.land ?? null,
          ],
          PUBLIC,
        ),
      ],
    },
    { Enhet: enhetReference },
  );
}

export const definition: SubgraphDefinition<Context> = {
  name,
  defaultPort: 4001,
  dbSchema: 'enhetsregisteret',
  entities: [Enhet, Organisasjonsform, Underenhet, Rolle, Varslingsadresse],
  migrations,
  buildSchema,
  createContext,
  seed: (em: EntityManager) => seed(em),
  isEmpty,
};

export function start(options: StartSubgraphOptions) {
  return startSubgraph(definition, options);
}
