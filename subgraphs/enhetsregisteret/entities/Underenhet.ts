import { Entity, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { Field, Int, ObjectType } from 'type-graphql';
import { DateScalar } from '../../../platform/graphql/DateScalar.js';
import { Adresse, Kode } from './Kode.js';

@Entity({ tableName: 'underenhet' })
@ObjectType({
  description: 'Underenhet: an establishment (bedrift) of an enhet, with its own number.',
})
export class Underenhet {
  @PrimaryKey({ type: 'character(9)' })
  @Field(() => String)
  organisasjonsnummer!: string;

  @Property({ type: 'text' })
  @Field(() => String)
  navn!: string;

  /** BEDR or AAFY; resolved to `Organisasjonsform`. */
  @Property({ type: 'text' })
  organisasjonsformKode!: string;

  /** Resolved to the owning `Enhet`. */
  @Property({ type: 'character(9)' })
  overordnetEnhetOrgnr!: string;

  @Property({ type: 'json', nullable: true })
  @Field(() => Adresse, { nullable: true, description: 'Beliggenhetsadresse: where it is.' })
  beliggenhetsadresse?: Adresse | null;

  @Property({ type: 'json', nullable: true })
  @Field(() => Adresse, { nullable: true })
  postadresse?: Adresse | null;

  @Property({ type: 'json', nullable: true })
  @Field(() => Kode, { nullable: true })
  naeringskode1?: Kode | null;

  @Property({ type: 'integer', nullable: true })
  @Field(() => Int, { nullable: true })
  antallAnsatte?: number | null;

  @Property({ type: 'boolean', nullable: true })
  @Field(() => Boolean, { nullable: true })
  harRegistrertAntallAnsatte?: boolean | null;

  @Property({ type: 'date', nullable: true })
  @Field(() => DateScalar, { nullable: true })
  registreringsdatoEnhetsregisteret?: string | null;

  @Property({ type: 'date', nullable: true })
  @Field(() => DateScalar, { nullable: true, description: 'Oppstartsdato: when it started.' })
  oppstartsdato?: string | null;

  @Property({ type: 'date', nullable: true })
  @Field(() => DateScalar, { nullable: true, description: 'Nedleggelsesdato: when it closed.' })
  nedleggelsesdato?: string | null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  hjemmeside?: string | null;

  @Property({ type: 'date', nullable: true })
  @Field(() => DateScalar, { nullable: true })
  slettedato?: string | null;
}
