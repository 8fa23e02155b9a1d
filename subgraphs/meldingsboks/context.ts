import type { EntityManager } from '@mikro-orm/postgresql';
import type { SubgraphContext, SubgraphRequest } from '../../platform/subgraph.js';
import { AccessPolicy } from './access.js';
import { createLoaders, type Loaders } from './loaders/index.js';
import type { Services } from './services/index.js';

export interface Context extends SubgraphContext {
  loaders: Loaders;
  access: AccessPolicy;
  services: Services;
}

/** One request, one context: a fresh EntityManager fork, fresh loaders and access answers. */
export function createContext(
  em: EntityManager,
  request: SubgraphRequest,
  services: Services,
): Context {
  return {
    em,
    ...request,
    services,
    loaders: createLoaders(em),
    access: new AccessPolicy(request.caller, em, services.roles, services.personRoles),
  };
}
