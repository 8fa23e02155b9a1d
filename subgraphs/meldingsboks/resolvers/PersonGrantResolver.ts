import { Arg, Ctx, Field, ObjectType, Mutation, Query, Resolver } from 'type-graphql';
import { actorName, InternalScope, PID_PATTERN, Scope } from '../../../platform/auth/caller.js';
import { requireScope } from '../../../platform/auth/authorize.js';
import { inTransaction } from '../../../platform/db/transaction.js';
import { recordAccessChange } from '../services/store.js';
import { ClientError, ErrorCode } from '../../../platform/graphql/errors.js';
import { capItems } from '../../../platform/graphql/inputLimits.js';
import { assertOrgnr } from '../../domain/orgnr.js';
import type { Context } from '../context.js';
import { CONFIDENTIAL, ORDINARY_SERVICES } from '../domain/services.js';
import { GrantKind } from '../entities/InboxGrant.js';
import { PersonGrant } from '../entities/PersonGrant.js';
import { personAdministers, personViews } from '../personAccess.js';
import { InboxGrantScope } from './GrantResolver.js';

const MAX_PERSONS = 1000;

@ObjectType({ description: 'Internal: what a person may read of an enhet’s post.' })
export class PersonAccess {
  @Field(() => String) person!: string;
  @Field(() => Boolean) allOrdinary!: boolean;
  @Field(() => [String], { description: 'Service codes (4255/n) opened one by one.' })
  services!: string[];
  @Field(() => Boolean) confidential!: boolean;
}

/** Never echoes an identifier back: it is personal data. */
function assertPid(pid: string, argument: string): void {
  if (!PID_PATTERN.test(pid)) {
    throw new ClientError(ErrorCode.BAD_USER_INPUT, 'A person identifier is eleven digits.', {
      argument,
    });
  }
}

/**
 * The enhet's administrators delegate and withdraw a person's right to read its post: the
 * organisation itself (acting for it with dpv:grant), or a person acting for it (dpv:grant) who
 * holds one of the administering roles now.
 */
async function requireAdministrator(ctx: Context, owner: string): Promise<void> {
  assertOrgnr(owner);
  requireScope(ctx.caller, Scope.DPV_GRANT);
  const { caller } = ctx;
  if (caller.org === owner) return;
  if (
    caller.pid &&
    caller.actingFor === owner &&
    (await personAdministers(ctx.services.personRoles, owner, caller.pid))
  )
    return;
  throw new ClientError(ErrorCode.FORBIDDEN, `You do not administer the rights of ${owner}.`);
}

@Resolver()
export class PersonGrantResolver {
  @Mutation(() => PersonGrant, {
    description:
      "Delegates to a person the right to read the enhet's post (Altinn's Post/arkiv): all " +
      'ordinary post, some services, or confidential post (only by this kind, never by role). ' +
      'For the enhet itself (dpv:grant) or a person acting for it in an administering role ' +
      '(DAGL, LEDE, INNH, DTSO, DTPR, KOMP, BEST). Delegating the same kind again replaces the ' +
      'earlier one.',
  })
  async grantPersonAccess(
    @Arg('owner', () => String) owner: string,
    @Arg('person', () => String, { description: "The person's identifier (eleven digits)." })
    person: string,
    @Arg('scope', () => InboxGrantScope) scope: InboxGrantScope,
    @Ctx() ctx: Context,
  ): Promise<PersonGrant> {
    assertPid(person, 'person');
    await requireAdministrator(ctx, owner);
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
    const who = actorName(ctx.caller);
    const id = await inTransaction(ctx.em, async (run) => {
      await run(
        `update person_grant set revoked_at = now(), revoked_by = ?
         where owner_orgnr = ? and grantee_pid = ? and kind = ? and revoked_at is null`,
        [who, owner, person, scope.kind],
      );
      const [row] = await run<{ id: string }>(
        `insert into person_grant (owner_orgnr, grantee_pid, kind, service_codes, granted_by)
         values (?, ?, ?, ?::text[], ?) returning id`,
        [owner, person, scope.kind, `{${services.map((s) => `"${s}"`).join(',')}}`, who],
      );
      await recordAccessChange(run, owner, person);
      return row!.id;
    });
    return (await ctx.em.fork().findOne(PersonGrant, { id }))!;
  }

  @Mutation(() => [PersonGrant], {
    description:
      "Withdraws a person's delegated rights in the enhet: of one kind, or all. Returns the " +
      'rights withdrawn (a role the person holds in Enhetsregisteret is not affected).',
  })
  async revokePersonAccess(
    @Arg('owner', () => String) owner: string,
    @Arg('person', () => String) person: string,
    @Arg('kind', () => GrantKind, { nullable: true }) kind: GrantKind | null,
    @Ctx() ctx: Context,
  ): Promise<PersonGrant[]> {
    assertPid(person, 'person');
    await requireAdministrator(ctx, owner);
    const rows = await inTransaction(ctx.em, async (run) => {
      const ended = await run<{ id: string }>(
        `update person_grant set revoked_at = now(), revoked_by = ?
         where owner_orgnr = ? and grantee_pid = ? and (?::text is null or kind = ?)
           and revoked_at is null
         returning id`,
        [actorName(ctx.caller), owner, person, kind, kind],
      );
      if (ended.length > 0) await recordAccessChange(run, owner, person);
      return ended;
    });
    return ctx.em.fork().find(PersonGrant, { id: { $in: rows.map((r) => r.id) } });
  }

  @Query(() => [PersonAccess], {
    nullable: true,
    description:
      "Internal (varsling): what each of the given persons may read of the enhet's post, by " +
      'role or delegation; persons who may read nothing are left out.',
  })
  async personAccess(
    @Arg('enhet', () => String) enhet: string,
    @Arg('personer', () => [String], { description: `At most ${MAX_PERSONS}.` })
    personer: string[],
    @Ctx() ctx: Context,
  ): Promise<PersonAccess[] | null> {
    if (!ctx.caller.scopes.has(InternalScope.READ_PERSON_ACCESS)) {
      throw new ClientError(ErrorCode.FORBIDDEN, "Only the graph's own services may ask this.");
    }
    assertOrgnr(enhet);
    capItems({ argument: 'personer' }, personer, MAX_PERSONS);
    for (const p of personer) assertPid(p, 'personer');
    const views = await personViews(ctx.em, ctx.services.personRoles, enhet, personer);
    return [...views]
      .filter(([, v]) => v)
      .map(([person, v]) => ({
        person,
        allOrdinary: v!.allOrdinary,
        services: [...v!.services],
        confidential: v!.confidential,
      }));
  }
}
