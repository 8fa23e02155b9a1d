import type { EntityManager } from '@mikro-orm/postgresql';
import { groupedLoader, keyedLoader } from '../../../platform/graphql/loaders.js';
import { Enhet } from '../entities/Enhet.js';
import { Organisasjonsform } from '../entities/Organisasjonsform.js';
import { Rolle } from '../entities/Rolle.js';
import { Underenhet } from '../entities/Underenhet.js';
import { Varslingsadresse } from '../entities/Varslingsadresse.js';
import { pagedChildren } from '../../../platform/graphql/pagedChildren.js';

export type Loaders = ReturnType<typeof createLoaders>;

export function createLoaders(em: EntityManager) {
  const knex = em.getKnex();
  return {
    enhet: keyedLoader(
      (keys: readonly string[]) => em.find(Enhet, { organisasjonsnummer: { $in: [...keys] } }),
      (e) => e.organisasjonsnummer,
    ),
    underenhet: keyedLoader(
      (keys: readonly string[]) => em.find(Underenhet, { organisasjonsnummer: { $in: [...keys] } }),
      (u) => u.organisasjonsnummer,
    ),
    organisasjonsform: keyedLoader(
      (keys: readonly string[]) => em.find(Organisasjonsform, { kode: { $in: [...keys] } }),
      (f) => f.kode,
    ),
    roller: groupedLoader(
      (keys: readonly string[]) =>
        em.find(
          Rolle,
          { organisasjonsnummer: { $in: [...keys] } },
          // Insertion order is brreg's order of groups and roles.
          { orderBy: { id: 'asc' } },
        ),
      (r) => r.organisasjonsnummer,
    ),
    varslingsadresser: groupedLoader(
      (keys: readonly string[]) =>
        em.find(
          Varslingsadresse,
          { organisasjonsnummer: { $in: [...keys] } },
          { orderBy: { kanal: 'asc', adresse: 'asc' } },
        ),
      (v) => v.organisasjonsnummer,
    ),
    /** A page of each enhet's underenheter, for many enheter in one statement. */
    underenheter: pagedChildren(em, {
      entity: Underenhet,
      source: () =>
        knex
          .select('*', knex.raw('overordnet_enhet_orgnr as parent'))
          .from('underenhet')
          .whereNull('slettedato'),
      order: { column: 'organisasjonsnummer', direction: 'asc' },
    }),
    /** A page of the enheter in which each holder has one of the given roles (its clients). */
    rolleinnehaverFor: pagedChildren(em, {
      entity: Enhet,
      source: (types) =>
        knex
          .select('e.*', 'r.enhet_organisasjonsnummer as parent')
          .from({ e: 'enhet' })
          .join(
            knex
              .distinct('organisasjonsnummer', 'enhet_organisasjonsnummer')
              .from('rolle')
              .whereIn('type_kode', [...types])
              .andWhere('fratraadt', false)
              .whereNotNull('enhet_organisasjonsnummer')
              .as('r'),
            'r.organisasjonsnummer',
            'e.organisasjonsnummer',
          )
          .whereNull('e.slettedato'),
      order: { column: 'organisasjonsnummer', direction: 'asc' },
    }),
  };
}
