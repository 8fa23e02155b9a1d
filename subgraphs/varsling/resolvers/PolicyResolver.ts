import { Arg, Ctx, Field, ID, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { requireScope } from '../../../platform/auth/authorize.js';
import { actorName, Scope } from '../../../platform/auth/caller.js';
import { ClientError, ErrorCode } from '../../../platform/graphql/errors.js';
import { uuidOrNil } from '../../../platform/graphql/ids.js';
import { preview } from '../../../platform/graphql/preview.js';
import { inTransaction, type Run } from '../../../platform/db/transaction.js';
import type { Context } from '../context.js';
import { PolicyInput, validatePolicy, type PolicyValues } from '../domain/policyInput.js';
import { NotificationPolicy } from '../entities/NotificationPolicy.js';
import { JSONObjectScalar } from './json.js';

@ObjectType({ description: 'One change of a policy: who, when, and what it was before and after.' })
export class PolicyChange {
  @Field(() => Int) version!: number;
  @Field(() => String, { description: 'CREATED, UPDATED or RETIRED.' }) action!: string;
  @Field(() => String) actor!: string;
  @Field(() => Date) at!: Date;
  @Field(() => JSONObjectScalar, {
    nullable: true,
    description: "The policy before, an object in NotificationPolicy's field names.",
  })
  before!: Record<string, unknown> | null;
  @Field(() => JSONObjectScalar, {
    nullable: true,
    description: "The policy after, an object in NotificationPolicy's field names.",
  })
  after!: Record<string, unknown> | null;
  @Field(() => [String], {
    description: "The fields whose values changed, in NotificationPolicy's field names.",
  })
  changedFields!: string[];
}

/** Column → NotificationPolicy's field name, for the audit rows (stored as to_jsonb of the row). */
const FIELD_OF: Readonly<Record<string, string>> = {
  id: 'id',
  name: 'name',
  channel: 'channel',
  sender_orgnr: 'senderOrgnr',
  service_code: 'serviceCode',
  kind: 'kind',
  double_notice_reason: 'doubleNoticeReason',
  window_days: 'windowDays',
  window_start: 'windowStart',
  window_end: 'windowEnd',
  skip_holidays: 'skipHolidays',
  reminder: 'reminder',
  reminder_delay_days: 'reminderDelayDays',
  email_subject: 'emailSubject',
  email_body: 'emailBody',
  sms_text: 'smsText',
  throttle_per_day: 'throttlePerDay',
  active_from: 'activeFrom',
  active_to: 'activeTo',
  version: 'version',
  retired_at: 'retiredAt',
  changed_at: 'changedAt',
  changed_by: 'changedBy',
};

/** A stored snapshot in the schema's field names (times HH:MM, as the schema gives them). */
export function snapshot(row: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!row) return null;
  const out: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    const field = FIELD_OF[column];
    if (!field) continue; // a column the schema does not show
    out[field] =
      (field === 'windowStart' || field === 'windowEnd') && typeof value === 'string'
        ? value.slice(0, 5)
        : value;
  }
  return out;
}

/** Fields that are bookkeeping, not policy. */
const BOOKKEEPING = new Set(['version', 'changedAt', 'changedBy']);

function changedFields(
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
) {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  return [...keys]
    .filter((k) => !BOOKKEEPING.has(k))
    .filter((k) => JSON.stringify(before?.[k]) !== JSON.stringify(after?.[k]))
    .sort();
}

const COLUMNS = `name = ?, sender_orgnr = ?, service_code = ?, kind = ?, channel = ?,
  double_notice_reason = ?, window_days = ?::smallint[], window_start = ?, window_end = ?,
  skip_holidays = ?, reminder = ?, reminder_delay_days = ?, email_subject = ?, email_body = ?,
  sms_text = ?, throttle_per_day = ?, active_from = ?, active_to = ?`;

const values = (v: PolicyValues) => [
  v.name,
  v.senderOrgnr,
  v.serviceCode,
  v.kind,
  v.channel,
  v.doubleNoticeReason,
  `{${v.windowDays.join(',')}}`,
  v.windowStart,
  v.windowEnd,
  v.skipHolidays,
  v.reminder,
  v.reminderDelayDays,
  v.emailSubject,
  v.emailBody,
  v.smsText,
  v.throttlePerDay,
  v.activeFrom,
  v.activeTo,
];

/** Policies for admins (scope varsling:admin); every change is a new version with an audit row. */
@Resolver(() => NotificationPolicy)
export class PolicyResolver {
  // Every query here needs varsling:admin, so each is nullable: a refusal nulls that field
  // alone, not the whole response it was asked in.
  @Query(() => [NotificationPolicy], {
    nullable: true,
    description:
      'Notification policies by name; retired ones only when asked. Needs varsling:admin; null ' +
      'with FORBIDDEN without it.',
  })
  policies(
    @Arg('includeRetired', () => Boolean, { defaultValue: false }) includeRetired: boolean,
    @Ctx() ctx: Context,
  ): Promise<NotificationPolicy[] | null> {
    requireScope(ctx.caller, Scope.VARSLING_ADMIN);
    return ctx.em.find(NotificationPolicy, includeRetired ? {} : { retiredAt: null }, {
      orderBy: { name: 'asc' },
    });
  }

  @Query(() => NotificationPolicy, { nullable: true, description: 'Needs varsling:admin.' })
  policy(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<NotificationPolicy | null> {
    requireScope(ctx.caller, Scope.VARSLING_ADMIN);
    return ctx.loaders.policy.load(uuidOrNil(id));
  }

  @Query(() => [PolicyChange], {
    nullable: true,
    description:
      'Every change of a policy, oldest first. Needs varsling:admin; null with FORBIDDEN without it.',
  })
  async policyHistory(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: Context,
  ): Promise<PolicyChange[] | null> {
    requireScope(ctx.caller, Scope.VARSLING_ADMIN);
    const rows = await ctx.em.getConnection().execute<
      Array<{
        version: number;
        action: string;
        actor: string;
        at: Date;
        before: Record<string, unknown> | null;
        after: Record<string, unknown> | null;
      }>
    >('select version, action, actor, at, before, after from policy_change where policy_id = ? order by id', [uuidOrNil(id)]);
    return rows.map((r) => {
      const before = snapshot(r.before);
      const after = snapshot(r.after);
      return {
        ...r,
        at: new Date(r.at),
        before,
        after,
        changedFields: changedFields(before, after),
      };
    });
  }

  @Mutation(() => NotificationPolicy, { description: 'INVALID_POLICY names the field at fault.' })
  async createPolicy(
    @Arg('input', () => PolicyInput) input: PolicyInput,
    @Ctx() ctx: Context,
  ): Promise<NotificationPolicy> {
    requireScope(ctx.caller, Scope.VARSLING_ADMIN);
    const v = validatePolicy(input);
    const id = await this.write(ctx, async (run) => {
      const [row] = await run<{ id: string }>(
        `insert into notification_policy (name, sender_orgnr, service_code, kind, channel,
           double_notice_reason, window_days, window_start, window_end, skip_holidays, reminder,
           reminder_delay_days, email_subject, email_body, sms_text, throttle_per_day, active_from,
           active_to, changed_by)
         values (?, ?, ?, ?, ?, ?, ?::smallint[], ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`,
        [...values(v), actorName(ctx.caller)],
      );
      return { id: row!.id, action: 'CREATED', before: null };
    });
    return (await ctx.em.fork().findOne(NotificationPolicy, { id }))!;
  }

  @Mutation(() => NotificationPolicy, {
    description: 'Replaces a policy, as the version you name (CONFLICT when it has moved on).',
  })
  async updatePolicy(
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int) version: number,
    @Arg('input', () => PolicyInput) input: PolicyInput,
    @Ctx() ctx: Context,
  ): Promise<NotificationPolicy> {
    requireScope(ctx.caller, Scope.VARSLING_ADMIN);
    const v = validatePolicy(input);
    await this.write(ctx, async (run) => {
      const before = await this.lockVersion(run, id, version);
      await run(
        `update notification_policy set ${COLUMNS}, version = version + 1, changed_at = now(),
           changed_by = ? where id = ?`,
        [...values(v), actorName(ctx.caller), id],
      );
      return { id, action: 'UPDATED', before };
    });
    return (await ctx.em.fork().findOne(NotificationPolicy, { id }))!;
  }

  @Mutation(() => NotificationPolicy, {
    description: 'Takes a policy out of force (kept, with history).',
  })
  async retirePolicy(
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int) version: number,
    @Ctx() ctx: Context,
  ): Promise<NotificationPolicy> {
    requireScope(ctx.caller, Scope.VARSLING_ADMIN);
    await this.write(ctx, async (run) => {
      const before = await this.lockVersion(run, id, version);
      await run(
        `update notification_policy set retired_at = now(), version = version + 1,
           changed_at = now(), changed_by = ? where id = ?`,
        [actorName(ctx.caller), id],
      );
      return { id, action: 'RETIRED', before };
    });
    return (await ctx.em.fork().findOne(NotificationPolicy, { id }))!;
  }

  /** The policy row as JSON, locked, if it is at `version` and in force; CONFLICT or NOT_FOUND. */
  private async lockVersion(run: Run, id: string, version: number) {
    const [row] = await run<{ version: number; retired: boolean; json: Record<string, unknown> }>(
      `select version, retired_at is not null as retired, to_jsonb(p) as json
       from notification_policy p where id = ? for update`,
      [uuidOrNil(id)],
    );
    if (!row) throw new ClientError(ErrorCode.NOT_FOUND, `There is no policy ${preview(id)}.`);
    if (row.retired) throw new ClientError(ErrorCode.CONFLICT, `Policy ${id} is retired.`);
    if (row.version !== version) {
      throw new ClientError(
        ErrorCode.CONFLICT,
        `Policy ${id} is at version ${row.version}, not ${version}: read it again and redo the change.`,
        { currentVersion: row.version },
      );
    }
    return row.json;
  }

  /** One transaction: the change and its audit row; a second policy for one scope is CONFLICT. */
  private async write(
    ctx: Context,
    change: (
      run: Run,
    ) => Promise<{ id: string; action: string; before: Record<string, unknown> | null }>,
  ): Promise<string> {
    try {
      return await inTransaction(ctx.em, async (run) => {
        const { id, action, before } = await change(run);
        await run(
          `insert into policy_change (policy_id, version, action, actor, before, after)
           select id, version, ?, ?, ?::jsonb, to_jsonb(p) from notification_policy p where id = ?`,
          [action, actorName(ctx.caller), before ? JSON.stringify(before) : null, id],
        );
        return id;
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new ClientError(
          ErrorCode.CONFLICT,
          'Another policy is in force for this scope (sender and service code); change or retire it.',
        );
      }
      throw err;
    }
  }
}
