import { Arg, Ctx, Field, InputType, Mutation, Resolver } from 'type-graphql';
import { Scope } from '../../../platform/auth/caller.js';
import { assertOrgnr } from '../../domain/orgnr.js';
import { ClientError, ErrorCode } from '../../../platform/graphql/errors.js';
import { capItems } from '../../../platform/graphql/inputLimits.js';
import type { Context } from '../context.js';
import { CONFIDENTIAL, DpvService, ORDINARY_SERVICES } from '../domain/services.js';
import { GrantKind, InboxGrant } from '../entities/InboxGrant.js';
import { isActiveEnhet } from '../services/enhetsregisteret.js';
import { FIRM_ROLES } from '../services/roles.js';
import { inTransaction } from '../../../platform/db/transaction.js';
import { recordAccessChange } from '../services/store.js';
import { actingOrg, actorOf } from './SendResolver.js';

@InputType({ description: 'What a grant opens.' })
export class InboxGrantScope {
  @Field(() => GrantKind) kind!: GrantKind;

  @Field(() => [DpvService], {
    nullable: true,
    description: `For kind SERVICES: the ordinary services it opens (at most ${ORDINARY_SERVICES.length}).`,
  })
  services?: DpvService[] | null;
}

/** The owner grants and revokes access to its inbox (acting for the owner, scope dpv:grant). */
@Resolver()
export class GrantResolver {
  @Mutation(() => InboxGrant, {
    description:
      'Gives an organisation access to the inbox of the enhet you act for. To see its own ' +
      "confidential post, an enhet grants CONFIDENTIAL to itself. A grant to the enhet's " +
      'accounting firm or auditor (REGN/REVI) lapses as soon as that role ends. Granting the same ' +
      'kind again replaces the earlier grant.',
  })
  async grantInboxAccess(
    @Arg('owner', () => String) owner: string,
    @Arg('grantee', () => String) grantee: string,
    @Arg('scope', () => InboxGrantScope) scope: InboxGrantScope,
    @Ctx() ctx: Context,
  ): Promise<InboxGrant> {
    actingFor(ctx, owner);
    assertOrgnr(grantee);
    capItems({ field: 'scope.services' }, scope.services, ORDINARY_SERVICES.length);
    const services = [...new Set(scope.services ?? [])];
    if (scope.kind === GrantKind.SERVICES) {
      if (services.length === 0 || services.includes(CONFIDENTIAL)) {
        throw new ClientError(
          ErrorCode.BAD_USER_INPUT,
          'A SERVICES grant lists one or more ordinary services (confidential post is its own kind).',
          { field: 'scope.services' },
        );
      }
    } else if (services.length > 0) {
      throw new ClientError(ErrorCode.BAD_USER_INPUT, `A ${scope.kind} grant lists no services.`, {
        field: 'scope.services',
      });
    }
    if (grantee === owner && scope.kind !== GrantKind.CONFIDENTIAL) {
      throw new ClientError(
        ErrorCode.BAD_USER_INPUT,
        'An enhet reads its own ordinary post already; to itself it can only grant CONFIDENTIAL.',
        { field: 'grantee' },
      );
    }
    let viaRole: string | null = null;
    if (grantee !== owner) {
      if (!(await isActiveEnhet(ctx.services.enhetsregisteret, grantee, ctx.requestId))) {
        throw new ClientError(ErrorCode.NOT_FOUND, `${grantee} is not a registered enhet.`);
      }
      const roles = await ctx.services.roles.rolesIn(grantee, [owner], { fresh: true });
      viaRole = FIRM_ROLES.find((r) => roles.get(owner)?.has(r)) ?? null;
    }
    const who = actorOf(ctx.caller).who;
    const id = await inTransaction(ctx.em, async (run) => {
      await run(
        `update inbox_grant set revoked_at = now(), revoked_by = ?
         where owner_orgnr = ? and grantee_orgnr = ? and kind = ? and revoked_at is null`,
        [who, owner, grantee, scope.kind],
      );
      const [row] = await run<{ id: string }>(
        `insert into inbox_grant (owner_orgnr, grantee_orgnr, kind, service_codes, via_role, granted_by)
         values (?, ?, ?, ?::text[], ?, ?) returning id`,
        [owner, grantee, scope.kind, `{${services.map((s) => `"${s}"`).join(',')}}`, viaRole, who],
      );
      await recordAccessChange(run, owner, grantee);
      return row!.id;
    });
    return (await ctx.em.fork().findOne(InboxGrant, { id }))!;
  }

  @Mutation(() => [InboxGrant], {
    description:
      'Ends the grants of the enhet you act for to an organisation: of one kind, or all. Returns the grants ended.',
  })
  async revokeInboxAccess(
    @Arg('owner', () => String) owner: string,
    @Arg('grantee', () => String) grantee: string,
    @Arg('kind', () => GrantKind, { nullable: true }) kind: GrantKind | null,
    @Ctx() ctx: Context,
  ): Promise<InboxGrant[]> {
    actingFor(ctx, owner);
    const rows = await inTransaction(ctx.em, async (run) => {
      const ended = await run<{ id: string }>(
        `update inbox_grant set revoked_at = now(), revoked_by = ?
         where owner_orgnr = ? and grantee_orgnr = ? and (?::text is null or kind = ?) and revoked_at is null
         returning id`,
        [actorOf(ctx.caller).who, owner, grantee, kind, kind],
      );
      if (ended.length > 0) await recordAccessChange(run, owner, grantee);
      return ended;
    });
    return ctx.em.fork().find(InboxGrant, { id: { $in: rows.map((r) => r.id) } });
  }
}

function actingFor(ctx: Context, owner: string): void {
  assertOrgnr(owner);
  if (actingOrg(ctx.caller, Scope.DPV_GRANT) !== owner) {
    throw new ClientError(ErrorCode.FORBIDDEN, `You do not act for organisation ${owner}.`);
  }
}
