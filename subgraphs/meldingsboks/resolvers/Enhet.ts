import {
  Arg,
  Ctx,
  Directive,
  Field,
  FieldResolver,
  Int,
  ObjectType,
  Resolver,
  Root,
} from 'type-graphql';
import { requireActingFor } from '../../../platform/auth/authorize.js';
import { Scope } from '../../../platform/auth/caller.js';
import { ClientError, ErrorCode } from '../../../platform/errors.js';
import type { Context } from '../context.js';
import { Message } from '../entities/Message.js';

/** Enhetsregisteret owns the enhet; this subgraph adds its inbox. */
@ObjectType()
@Directive('@key(fields: "organisasjonsnummer")')
export class Enhet {
  @Field(() => String)
  organisasjonsnummer!: string;
}

const MAX_PAGE = 100;

@Resolver(() => Enhet)
export class EnhetInboxResolver {
  @FieldResolver(() => [Message], {
    description:
      "Meldingsboks: the enhet's messages, newest first. Readable when acting for the enhet with scope dpv:read.",
  })
  inbox(
    @Root() enhet: Enhet,
    @Arg('first', () => Int, { defaultValue: 20, description: `At most ${MAX_PAGE}.` })
    first: number,
    @Ctx() ctx: Context,
  ): Promise<Message[]> {
    requireActingFor(ctx.caller, enhet.organisasjonsnummer, Scope.DPV_READ);
    if (first < 0 || first > MAX_PAGE) {
      throw new ClientError(ErrorCode.BAD_USER_INPUT, `first must be between 0 and ${MAX_PAGE}.`, {
        argument: 'first',
      });
    }
    return ctx.loaders.inbox.load({ orgnr: enhet.organisasjonsnummer, first });
  }
}

export const enhetReference = {
  __resolveReference: (ref: { organisasjonsnummer: string }): Enhet => ({
    organisasjonsnummer: ref.organisasjonsnummer,
  }),
};
