import { Field, Int, ObjectType } from 'type-graphql';
import { DateScalar } from '../../../platform/graphql/DateScalar.js';
import { Kode } from '../entities/Kode.js';
import type { Rolle as RolleRow } from '../entities/Rolle.js';

/** Role codes one argument may list: more than brreg has role types. */
export const MAX_ROLE_TYPES = 50;

@ObjectType('Personnavn')
export class Personnavn {
  @Field(() => String, { nullable: true }) fornavn!: string | null;
  @Field(() => String, { nullable: true }) mellomnavn!: string | null;
  @Field(() => String, { nullable: true }) etternavn!: string | null;
}

@ObjectType('RollePerson', { description: 'A person holding a role.' })
export class RollePerson {
  @Field(() => DateScalar, { nullable: true }) fodselsdato!: string | null;
  @Field(() => Personnavn) navn!: Personnavn;
  @Field(() => Boolean) erDoed!: boolean;
}

@ObjectType('Rolle', { description: 'A role (rolle) in an enhet, held by a person or an enhet.' })
export class RolleType {
  @Field(() => Kode, { description: 'Rolletype, e.g. DAGL, LEDE, REGN, REVI.' }) type!: Kode;
  @Field(() => RollePerson, { nullable: true }) person!: RollePerson | null;
  /** The holder enhet's number; the field resolves it as the entity. */
  enhetOrgnr!: string | null;
  @Field(() => Boolean, { description: 'Fratrådt: has resigned.' }) fratraadt!: boolean;
  @Field(() => Int, { nullable: true }) rekkefolge!: number | null;
}

@ObjectType('Rollegruppe', { description: 'Roles grouped as brreg groups them (e.g. Styre).' })
export class Rollegruppe {
  @Field(() => Kode) type!: Kode;
  @Field(() => DateScalar, { nullable: true }) sistEndret!: string | null;
  @Field(() => [RolleType]) roller!: RolleType[];
}

/** Stored rows back into brreg's nesting, groups in first-seen order. */
export function groupRoller(rows: RolleRow[], inkluderFratraadte: boolean): Rollegruppe[] {
  const groups = new Map<string, Rollegruppe>();
  for (const r of rows) {
    if (r.fratraadt && !inkluderFratraadte) continue;
    let group = groups.get(r.rollegruppeKode);
    if (!group) {
      group = {
        type: { kode: r.rollegruppeKode, beskrivelse: r.rollegruppeBeskrivelse },
        sistEndret: r.rollegruppeSistEndret ?? null,
        roller: [],
      };
      groups.set(r.rollegruppeKode, group);
    }
    group.roller.push({
      type: { kode: r.typeKode, beskrivelse: r.typeBeskrivelse },
      person:
        r.personEtternavn != null || r.personFornavn != null
          ? {
              fodselsdato: r.personFodselsdato ?? null,
              navn: {
                fornavn: r.personFornavn ?? null,
                mellomnavn: r.personMellomnavn ?? null,
                etternavn: r.personEtternavn ?? null,
              },
              erDoed: r.personErDoed ?? false,
            }
          : null,
      enhetOrgnr: r.enhetOrganisasjonsnummer ?? null,
      fratraadt: r.fratraadt,
      rekkefolge: r.rekkefolge ?? null,
    });
  }
  return [...groups.values()];
}
