import { Entity, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { Directive, Field, Int, ObjectType } from 'type-graphql';
import { PUBLIC } from '../../../platform/graphql/cacheControl.js';
import { DateScalar } from '../../../platform/graphql/DateScalar.js';
import { Adresse, Kode } from './Kode.js';

// Functions, not shared objects: MikroORM writes into the options it is given.
const date = () => ({ type: 'date', nullable: true }) as const;
const flag = () => ({ type: 'boolean', nullable: true }) as const;
const json = () => ({ type: 'json', nullable: true }) as const;

/**
 * Field names are brreg's. A deleted enhet (slettedato set) is kept as a stub: number, name,
 * form and slettedato; everything else is null.
 */
@Entity({ tableName: 'enhet' })
@ObjectType({ description: 'Enhet: a legal entity (hovedenhet) in Enhetsregisteret.' })
@Directive('@key(fields: "organisasjonsnummer")')
// The register is public data (brreg's open data): the gateway may share its answers among
// callers. Fields resolved elsewhere (roles, addresses, contact details) carry no hint and so
// are private (platform/graphql/cacheControl.ts).
@Directive(PUBLIC)
export class Enhet {
  @PrimaryKey({ type: 'character(9)' })
  @Directive(PUBLIC)
  @Field(() => String, { description: 'Organisasjonsnummer: nine digits, mod-11 checked.' })
  organisasjonsnummer!: string;

  @Property({ type: 'text' })
  @Directive(PUBLIC)
  @Field(() => String, { description: 'Navn: the registered name.' })
  navn!: string;

  /** Resolved to `Organisasjonsform` by a batched loader. */
  @Property({ type: 'text' })
  organisasjonsformKode!: string;

  @Property(json())
  @Directive(PUBLIC)
  @Field(() => Adresse, { nullable: true, description: 'Forretningsadresse: business address.' })
  forretningsadresse?: Adresse | null;

  @Property(json())
  @Directive(PUBLIC)
  @Field(() => Adresse, { nullable: true, description: 'Postadresse: postal address.' })
  postadresse?: Adresse | null;

  @Property(json())
  @Directive(PUBLIC)
  @Field(() => Kode, { nullable: true, description: 'Næringskode 1 (SN2007), the main industry.' })
  naeringskode1?: Kode | null;

  @Property(json())
  @Directive(PUBLIC)
  @Field(() => Kode, { nullable: true })
  naeringskode2?: Kode | null;

  @Property(json())
  @Directive(PUBLIC)
  @Field(() => Kode, { nullable: true })
  naeringskode3?: Kode | null;

  @Property(json())
  @Directive(PUBLIC)
  @Field(() => Kode, { nullable: true, description: 'Institusjonell sektorkode.' })
  institusjonellSektorkode?: Kode | null;

  @Property({ type: 'integer', nullable: true })
  @Directive(PUBLIC)
  @Field(() => Int, { nullable: true, description: 'Antall ansatte: number of employees.' })
  antallAnsatte?: number | null;

  @Property(flag())
  @Directive(PUBLIC)
  @Field(() => Boolean, { nullable: true })
  harRegistrertAntallAnsatte?: boolean | null;

  @Property(date())
  @Directive(PUBLIC)
  @Field(() => DateScalar, { nullable: true })
  registreringsdatoEnhetsregisteret?: string | null;

  @Property(date())
  @Directive(PUBLIC)
  @Field(() => DateScalar, { nullable: true, description: 'Stiftelsesdato: date of foundation.' })
  stiftelsesdato?: string | null;

  @Property({ ...flag(), fieldName: 'registrert_i_mvaregisteret' })
  @Directive(PUBLIC)
  @Field(() => Boolean, {
    nullable: true,
    description: 'Registrert i Merverdiavgiftsregisteret (VAT).',
  })
  registrertIMvaregisteret?: boolean | null;

  @Property({ ...flag(), fieldName: 'registrert_i_foretaksregisteret' })
  @Directive(PUBLIC)
  @Field(() => Boolean, { nullable: true })
  registrertIForetaksregisteret?: boolean | null;

  @Property({ ...flag(), fieldName: 'registrert_i_stiftelsesregisteret' })
  @Directive(PUBLIC)
  @Field(() => Boolean, { nullable: true })
  registrertIStiftelsesregisteret?: boolean | null;

  @Property({ ...flag(), fieldName: 'registrert_i_frivillighetsregisteret' })
  @Directive(PUBLIC)
  @Field(() => Boolean, { nullable: true })
  registrertIFrivillighetsregisteret?: boolean | null;

  @Property(flag())
  @Directive(PUBLIC)
  @Field(() => Boolean, { nullable: true, description: 'Konkurs: in bankruptcy.' })
  konkurs?: boolean | null;

  @Property(flag())
  @Directive(PUBLIC)
  @Field(() => Boolean, { nullable: true, description: 'Under avvikling: being wound up.' })
  underAvvikling?: boolean | null;

  @Property(flag())
  @Directive(PUBLIC)
  @Field(() => Boolean, {
    nullable: true,
    description: 'Under tvangsavvikling eller tvangsoppløsning.',
  })
  underTvangsavviklingEllerTvangsopplosning?: boolean | null;

  @Property({ type: 'text', nullable: true })
  @Directive(PUBLIC)
  @Field(() => String, { nullable: true })
  hjemmeside?: string | null;

  @Property({ type: 'text', nullable: true })
  @Directive(PUBLIC)
  @Field(() => String, { nullable: true, description: 'Målform: Bokmål or Nynorsk.' })
  maalform?: string | null;

  /** Resolved to the parent `Enhet` (public bodies: organisasjonsledd under a ministry). */
  @Property({ type: 'character(9)', nullable: true })
  overordnetEnhetOrgnr?: string | null;

  @Property(date())
  @Directive(PUBLIC)
  @Field(() => DateScalar, {
    nullable: true,
    description: 'Slettedato: set when the enhet is deleted.',
  })
  slettedato?: string | null;
}
