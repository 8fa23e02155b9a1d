import { Arg, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { assertOrgnr } from '../../domain/orgnr.js';
import type { Context } from '../context.js';
import { Enhet } from '../entities/Enhet.js';
import { Organisasjonsform } from '../entities/Organisasjonsform.js';
import { Underenhet } from '../entities/Underenhet.js';
import { formOf } from './EnhetResolver.js';

@Resolver(() => Underenhet)
export class UnderenhetResolver {
  @Query(() => Underenhet, { nullable: true, description: 'The underenhet with this number.' })
  underenhet(
    @Arg('organisasjonsnummer', () => String) organisasjonsnummer: string,
    @Ctx() ctx: Context,
  ): Promise<Underenhet | null> {
    assertOrgnr(organisasjonsnummer);
    return ctx.loaders.underenhet.load(organisasjonsnummer);
  }

  @FieldResolver(() => Organisasjonsform)
  organisasjonsform(@Root() u: Underenhet, @Ctx() ctx: Context): Promise<Organisasjonsform> {
    return formOf(ctx, u.organisasjonsformKode);
  }

  @FieldResolver(() => Enhet, { nullable: true, description: 'The enhet it belongs to.' })
  overordnetEnhet(@Root() u: Underenhet, @Ctx() ctx: Context): Promise<Enhet | null> {
    return ctx.loaders.enhet.load(u.overordnetEnhetOrgnr);
  }
}
