import { Field, InputType, Int, registerEnumType } from 'type-graphql';
import { DateScalar } from '../../../platform/graphql/DateScalar.js';
import { capItems, capLength } from '../../../platform/graphql/inputLimits.js';

/**
 * Caps on a filter: brreg has some 45 organisasjonsformer, and no registered name is longer
 * than 175 characters (a longer prefix finds nothing; a longer fuzzy text only costs trigrams).
 */
export const FILTER_CAPS = { organisasjonsform: 50, navn: 175 } as const;

export enum NavnSok {
  PREFIKS = 'PREFIKS',
  FUZZY = 'FUZZY',
}

registerEnumType(NavnSok, {
  name: 'NavnSok',
  description: 'How `navn` is matched.',
  valuesConfig: {
    PREFIKS: { description: 'Names starting with the text (case-insensitive); ordered by number.' },
    FUZZY: { description: 'Names alike by trigram similarity (pg_trgm), most alike first.' },
  },
});

/** Filters of brreg's /enheter search, with brreg's names; all given filters must hold. */
@InputType({ description: 'Filters for enheter; every filter given must match.' })
export class EnhetFilter {
  @Field(() => String, {
    nullable: true,
    description: `At most ${FILTER_CAPS.navn} characters.`,
  })
  navn?: string;
  @Field(() => NavnSok, { defaultValue: NavnSok.PREFIKS }) navnSok?: NavnSok;
  @Field(() => [String], {
    nullable: true,
    description: `Organisasjonsform codes, e.g. ["AS", "ENK"]; at most ${FILTER_CAPS.organisasjonsform}.`,
  })
  organisasjonsform?: string[];
  @Field(() => String, {
    nullable: true,
    description: 'Næringskode; also matches the codes under it ("62" finds 62.010).',
  })
  naeringskode?: string;
  @Field(() => String, { nullable: true, description: 'Of the forretningsadresse.' })
  kommunenummer?: string;
  @Field(() => String, { nullable: true, description: 'Of the forretningsadresse.' })
  postnummer?: string;
  @Field(() => Boolean, { nullable: true }) konkurs?: boolean;
  @Field(() => Boolean, { nullable: true }) underAvvikling?: boolean;
  @Field(() => Boolean, { nullable: true }) registrertIMvaregisteret?: boolean;
  @Field(() => Int, { nullable: true }) fraAntallAnsatte?: number;
  @Field(() => Int, { nullable: true }) tilAntallAnsatte?: number;
  @Field(() => DateScalar, { nullable: true }) fraStiftelsesdato?: string;
  @Field(() => DateScalar, { nullable: true }) tilStiftelsesdato?: string;
  @Field(() => String, { nullable: true }) overordnetEnhet?: string;
  @Field(() => Boolean, { defaultValue: false, description: 'Include deleted enheter (stubs).' })
  inkluderSlettede?: boolean;
}

/** Throws BAD_USER_INPUT when a filter exceeds a cap (before any SQL is built). */
export function checkFilterCaps(f: EnhetFilter): void {
  capLength({ field: 'filter.navn' }, f.navn, FILTER_CAPS.navn);
  capItems(
    { field: 'filter.organisasjonsform' },
    f.organisasjonsform,
    FILTER_CAPS.organisasjonsform,
  );
}
