import { Arg, Ctx, Field, ObjectType, Query, Resolver } from 'type-graphql';
import { assertOrgnr } from '../../../platform/domain/orgnr.js';
import { ClientError, ErrorCode } from '../../../platform/errors.js';
import type { Context } from '../context.js';
import { Rolle } from '../entities/Rolle.js';

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
    description:
      'Which current roles of the given types the holder has in the given enheter: a live check ' +
      '(e.g. is this firm still REGN for these clients) in one statement.',
  })
  async rolleforhold(
    @Arg('innehaver', () => String) innehaver: string,
    @Arg('enheter', () => [String], { description: `At most ${MAX_ENHETER}.` }) enheter: string[],
    @Arg('typer', () => [String], { description: 'Role codes, e.g. ["REGN", "REVI"].' })
    typer: string[],
    @Ctx() ctx: Context,
  ): Promise<Rolleforhold[]> {
    assertOrgnr(innehaver);
    if (enheter.length > MAX_ENHETER) {
      throw new ClientError(ErrorCode.BAD_USER_INPUT, `At most ${MAX_ENHETER} enheter.`, {
        argument: 'enheter',
      });
    }
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
