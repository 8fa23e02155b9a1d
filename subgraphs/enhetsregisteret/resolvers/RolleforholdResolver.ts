import { Arg, Ctx, Field, ObjectType, Query, Resolver } from 'type-graphql';
import { assertOrgnr } from '../../domain/orgnr.js';
import { capItems } from '../../../platform/graphql/inputLimits.js';
import type { Context } from '../context.js';
import { Rolle } from '../entities/Rolle.js';
import { MAX_ROLE_TYPES } from './rolleTypes.js';

const MAX_ENHETER = 1000;

@ObjectType({ description: 'A role an enhet holds in another enhet now (not fratrådt).' })
export class Rolleforhold {
  @Field(() => String, { description: 'The enhet the role is in.' })
  organisasjonsnummer!: string;

  @Field(() => String, { description: 'Rolletype, e.g. REGN.' })
  rolletype!: string;
}

@Resolver()
export class RolleforholdResolver {
  @Query(() => [Rolleforhold], {
    nullable: true,
    description:
      'Which current roles of the given types the holder has in the given enheter: a live check ' +
      '(e.g. is this firm still REGN for these clients) in one statement; null with ' +
      'BAD_USER_INPUT for bad arguments.',
  })
  async rolleforhold(
    @Arg('innehaver', () => String) innehaver: string,
    @Arg('enheter', () => [String], { description: `At most ${MAX_ENHETER}.` }) enheter: string[],
    @Arg('typer', () => [String], {
      description: `Role codes, e.g. ["REGN", "REVI"]; at most ${MAX_ROLE_TYPES}.`,
    })
    typer: string[],
    @Ctx() ctx: Context,
  ): Promise<Rolleforhold[] | null> {
    assertOrgnr(innehaver);
    capItems({ argument: 'enheter' }, enheter, MAX_ENHETER);
    capItems({ argument: 'typer' }, typer, MAX_ROLE_TYPES);
    if (enheter.length === 0 || typer.length === 0) return [];
    const rows = await ctx.em.find(
      Rolle,
      {
        enhetOrganisasjonsnummer: innehaver,
        organisasjonsnummer: { $in: enheter },
        typeKode: { $in: typer },
        fratraadt: false,
      },
      { fields: ['organisasjonsnummer', 'typeKode'] },
    );
    const seen = new Set<string>();
    const result: Rolleforhold[] = [];
    for (const r of rows) {
      const key = `${r.organisasjonsnummer}|${r.typeKode}`;
      if (seen.has(key)) continue;
      seen.add(key);
      result.push({ organisasjonsnummer: r.organisasjonsnummer, rolletype: r.typeKode });
    }
    return result;
  }
}
