import type { EntityManager } from '@mikro-orm/postgresql';
import { keyedLoader } from '../../../platform/loaders.js';
import { Enhet } from '../entities/Enhet.js';
import { Organisasjonsform } from '../entities/Organisasjonsform.js';

export type Loaders = ReturnType<typeof createLoaders>;

export function createLoaders(em: EntityManager) {
  return {
    enhet: keyedLoader(
      (keys: readonly string[]) => em.find(Enhet, { organisasjonsnummer: { $in: [...keys] } }),
      (e) => e.organisasjonsnummer,
    ),
    organisasjonsform: keyedLoader(
      (keys: readonly string[]) => em.find(Organisasjonsform, { kode: { $in: [...keys] } }),
      (f) => f.kode,
    ),
  };
}
