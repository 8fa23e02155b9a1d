import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Context } from '../context.js';
import { Enhet } from '../entities/Enhet.js';
import { RolleType } from './rolleTypes.js';

@Resolver(() => RolleType)
export class RolleResolver {
  @FieldResolver(() => Enhet, {
    nullable: true,
    description: 'The holder when it is an enhet, as the entity (its own fields are reachable).',
  })
  enhet(@Root() rolle: RolleType, @Ctx() ctx: Context): Promise<Enhet | null> | null {
    return rolle.enhetOrgnr ? ctx.loaders.enhet.load(rolle.enhetOrgnr) : null;
  }
}
