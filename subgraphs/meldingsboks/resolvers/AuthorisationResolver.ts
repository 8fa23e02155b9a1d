import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireScope } from '../../../platform/auth/authorize.js';
import { Scope } from '../../../platform/auth/caller.js';
import { ClientError, ErrorCode } from '../../../platform/graphql/errors.js';
import { assertOrgnr } from '../../domain/orgnr.js';
import type { Context } from '../context.js';
import { ApprovedSender } from '../entities/ApprovedSender.js';
import { SenderAuthorisation } from '../entities/SenderAuthorisation.js';
import { Enhet } from './Enhet.js';
import { actingOrg, actorOf } from './SendResolver.js';

/**
 * The body the authorisation is for: the caller's own organisation (scope dpv:send, the body
 * manages its own), or any body named by an admin (scope dpv:admin).
 */
function principalFor(ctx: Context, principal: string | null | undefined): string {
  if (principal == null) return actingOrg(ctx.caller, Scope.DPV_SEND);
  assertOrgnr(principal);
  if (principal !== ctx.caller.org || !ctx.caller.scopes.has(Scope.DPV_SEND)) {
    requireScope(ctx.caller, Scope.DPV_ADMIN);
  }
  return principal;
}

@Resolver(() => SenderAuthorisation)
export class AuthorisationResolver {
  @Mutation(() => SenderAuthorisation, {
    description:
      'A body authorises an approved technical sender to send on its behalf (onBehalfOf): the ' +
      'body itself with dpv:send (principal left out), or an admin naming it (dpv:admin). Both ' +
      'must be approved senders. Granting what is in force again returns it. Every grant and ' +
      'revocation is kept with who made it.',
  })
  async authoriseSender(
    @Arg('technicalSender', () => String) technicalSender: string,
    @Arg('principal', () => String, { nullable: true }) principal: string | null,
    @Ctx() ctx: Context,
  ): Promise<SenderAuthorisation> {
    const body = principalFor(ctx, principal);
    assertOrgnr(technicalSender);
    if (technicalSender === body) {
      throw new ClientError(ErrorCode.BAD_USER_INPUT, 'A body sends for itself without this.', {
        argument: 'technicalSender',
      });
    }
    const approved = await ctx.em.find(ApprovedSender, {
      organisasjonsnummer: { $in: [body, technicalSender] },
      revokedAt: null,
    });
    for (const [who, argument] of [
      [body, 'principal'],
      [technicalSender, 'technicalSender'],
    ] as const) {
      if (!approved.some((a) => a.organisasjonsnummer === who)) {
        throw new ClientError(ErrorCode.BAD_USER_INPUT, `${who} is not an approved DPV sender.`, {
          argument,
        });
      }
    }
    const actor = actorOf(ctx.caller);
    await ctx.em.getConnection().execute(
      `insert into sender_authorisation (principal_orgnr, technical_orgnr, granted_by, granted_by_org)
       values (?, ?, ?, ?) on conflict (principal_orgnr, technical_orgnr) where revoked_at is null
       do nothing`,
      [body, technicalSender, actor.who, actor.org],
    );
    ctx.log.info({ principal: body, technicalSender, by: actor.who }, 'sender authorised');
    return (await ctx.em.fork().findOne(SenderAuthorisation, {
      principalOrgnr: body,
      technicalOrgnr: technicalSender,
      revokedAt: null,
    }))!;
  }

  @Mutation(() => SenderAuthorisation, {
    description:
      'Withdraws an authorisation (as authoriseSender: the body, or an admin). NOT_FOUND when ' +
      'none is in force. What was sent stays.',
  })
  async revokeSenderAuthorisation(
    @Arg('technicalSender', () => String) technicalSender: string,
    @Arg('principal', () => String, { nullable: true }) principal: string | null,
    @Ctx() ctx: Context,
  ): Promise<SenderAuthorisation> {
    const body = principalFor(ctx, principal);
    assertOrgnr(technicalSender);
    const actor = actorOf(ctx.caller);
    const rows = await ctx.em.getConnection().execute<Array<{ id: string }>>(
      `update sender_authorisation set revoked_at = now(), revoked_by = ?
       where principal_orgnr = ? and technical_orgnr = ? and revoked_at is null returning id`,
      [actor.who, body, technicalSender],
    );
    const id = rows[0]?.id;
    if (!id) {
      throw new ClientError(
        ErrorCode.NOT_FOUND,
        `${body} has not authorised ${technicalSender} to send for it.`,
      );
    }
    ctx.log.info(
      { principal: body, technicalSender, by: actor.who },
      'sender authorisation revoked',
    );
    return (await ctx.em.fork().findOne(SenderAuthorisation, { id }))!;
  }

  @Query(() => [SenderAuthorisation], {
    nullable: true,
    description:
      'Authorisations given by a body (your own with dpv:send; any, or all when principal is ' +
      'left out, with dpv:admin), and with includeRevoked the withdrawn ones too, newest first; ' +
      'null with FORBIDDEN otherwise.',
  })
  async senderAuthorisations(
    @Arg('principal', () => String, { nullable: true }) principal: string | null,
    @Arg('includeRevoked', () => Boolean, { defaultValue: false }) includeRevoked: boolean,
    @Ctx() ctx: Context,
  ): Promise<SenderAuthorisation[] | null> {
    let body: string | null;
    if (principal == null && ctx.caller.scopes.has(Scope.DPV_ADMIN)) body = null;
    else body = principalFor(ctx, principal);
    return ctx.em.find(
      SenderAuthorisation,
      {
        ...(body ? { principalOrgnr: body } : {}),
        ...(includeRevoked ? {} : { revokedAt: null }),
      },
      { orderBy: { grantedAt: 'desc', id: 'asc' }, limit: 10_000 },
    );
  }

  @FieldResolver(() => Enhet, { description: 'The body the messages are from.' })
  principal(@Root() a: SenderAuthorisation): Enhet {
    return { organisasjonsnummer: a.principalOrgnr };
  }

  @FieldResolver(() => Enhet, { description: 'The approved sender that may send for it.' })
  technicalSender(@Root() a: SenderAuthorisation): Enhet {
    return { organisasjonsnummer: a.technicalOrgnr };
  }
}
