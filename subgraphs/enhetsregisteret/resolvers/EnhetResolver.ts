import { Arg, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { assertOrgnr } from '../../../platform/domain/orgnr.js';
import type { Context } from '../context.js';
import { Enhet } from '../entities/Enhet.js';
import { Organisasjonsform } from '../entities/Organisasjonsform.js';

@Resolver(() => Enhet)
export class EnhetResolver {
  @Query(() => Enhet, {
    nullable: true,
    description: 'The enhet with this organisasjonsnummer, or null when none is registered.',
  })
  enhet(
    @Arg('organisasjonsnummer', () => String) organisasjonsnummer: string,
    @Ctx() ctx: Context,
  ): Promise<Enhet | null> {
    assertOrgnr(organisasjonsnummer);
    return ctx.loaders.enhet.load(organisasjonsnummer);
  }

  @FieldResolver(() => Organisasjonsform)
  async organisasjonsform(@Root() enhet: Enhet, @Ctx() ctx: Context): Promise<Organisasjonsform> {
    const form = await ctx.loaders.organisasjonsform.load(enhet.organisasjonsformKode);
    // The foreign key guarantees the row; its absence is a broken database, not bad input.
    if (!form) throw new Error(`organisasjonsform ${enhet.organisasjonsformKode} missing`);
    return form;
  }
}

export const referenceResolvers = {
  Enhet: {
    __resolveReference: (ref: { organisasjonsnummer: string }, ctx: Context) =>
      ctx.loaders.enhet.load(ref.organisasjonsnummer),
  },
};
