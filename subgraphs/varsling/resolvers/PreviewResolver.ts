import { Arg, Ctx, Field, ID, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { requireScope } from '../../../platform/auth/authorize.js';
import { Scope } from '../../../platform/auth/caller.js';
import { ClientError, ErrorCode } from '../../../platform/graphql/errors.js';
import { uuidOrNil } from '../../../platform/graphql/ids.js';
import { preview } from '../../../platform/graphql/preview.js';
import type { Context } from '../context.js';
import { DEFAULT_WINDOW, nextAllowedMoment } from '../domain/calendar.js';
import {
  effectiveRules,
  planOrders,
  type Classification,
  type PolicyRules,
} from '../domain/plan.js';
import { PolicyInput, validatePolicy } from '../domain/policyInput.js';
import { applicablePolicy } from '../domain/resolution.js';
import { NotificationPolicy } from '../entities/NotificationPolicy.js';
import { lookUp, type DirectoryEntry } from '../services/directory.js';
import { DeferralReason } from './Message.js';
import { NoticeClassification } from '../../domain/classification.js';

@ObjectType({ description: 'A notice or reminder a policy would plan, and why it waits.' })
export class ScheduledNotice {
  @Field(() => String, { description: 'NOTICE, REMINDER or SERVICE_MESSAGE.' }) kind!: string;
  @Field(() => Date) plannedAt!: Date;
  @Field(() => [String], { description: 'Channels used when the enhet has both kinds of address.' })
  channels!: string[];
  @Field(() => [DeferralReason]) deferrals!: DeferralReason[];
}

@ObjectType({ description: 'What a set of policies does to a period of real messages.' })
export class SimulationCounts {
  @Field(() => Int) notices!: number;
  @Field(() => Int, { description: 'Reminders that would go out (the message still unread).' })
  reminders!: number;
  @Field(() => Int) sms!: number;
  @Field(() => Int) emails!: number;
  @Field(() => Int, { description: 'Notices planned outside working days 08:00–16:00.' })
  outsideWorkingHours!: number;
}

@ObjectType({
  description:
    'Orders already planned under the policy and not yet sent. An update or a retirement keeps ' +
    'them as planned, under the version they were planned with; only messages published after ' +
    'the change follow it (docs/domain.md 3.2).',
})
export class KeptAsPlanned {
  @Field(() => Int, { description: 'Notices and service messages.' }) notices!: number;
  @Field(() => Int) reminders!: number;
}

@ObjectType({ description: "Today's policies next to the changed one, over the same messages." })
export class PolicySimulation {
  @Field(() => Int, { description: 'Messages published in the period.' }) messages!: number;
  @Field(() => KeptAsPlanned, {
    description: 'With policyId: what is already planned under it, which the change leaves as is.',
  })
  keptAsPlanned!: KeptAsPlanned;
  @Field(() => SimulationCounts) current!: SimulationCounts;
  @Field(() => SimulationCounts) changed!: SimulationCounts;
}

const BOTH: DirectoryEntry = { name: 'ENHET', emails: ['e'], mobiles: ['m'] };
const MAX_MESSAGES = 20_000;

@Resolver()
export class PreviewResolver {
  // Both previews need varsling:admin and check their arguments, so both are nullable: a
  // refusal nulls that field alone.
  @Query(() => [ScheduledNotice], {
    nullable: true,
    description:
      'What a policy (stored, or given) would plan for a message published at that moment, ' +
      'with the reason for each deferral. Needs varsling:admin; null with the error when refused.',
  })
  async previewSchedule(
    @Arg('publishedAt', () => Date) publishedAt: Date,
    @Arg('policyId', () => ID, { nullable: true }) policyId: string | null,
    @Arg('policy', () => PolicyInput, { nullable: true }) input: PolicyInput | null,
    @Arg('serviceCode', () => String, { defaultValue: '4255/10' }) serviceCode: string,
    @Arg('classification', () => NoticeClassification, {
      nullable: true,
      description: "The sender's classification of the message; not given: the policy decides.",
    })
    classification: NoticeClassification | null,
    @Ctx() ctx: Context,
  ): Promise<ScheduledNotice[] | null> {
    requireScope(ctx.caller, Scope.VARSLING_ADMIN);
    if (input && policyId) {
      throw new ClientError(ErrorCode.BAD_USER_INPUT, 'Give policyId or policy, not both.', {
        argument: 'policy',
      });
    }
    const rules = input ? validatePolicy(input) : await this.stored(ctx, policyId);
    const effective = effectiveRules(rules, serviceCode, classification as Classification | null);
    if (!effective) return [];
    const message = {
      recipientOrgnr: '000000000',
      recipientName: BOTH.name,
      senderName: 'AVSENDER',
      serviceCode,
      title: '',
      publishedAt,
    };
    return planOrders(effective, message, BOTH).map((o) => ({
      kind: o.kind,
      plannedAt: o.plannedAt,
      channels: [...new Set(o.notifications.map((n) => n.channel))],
      deferrals: o.deferrals,
    }));
  }

  @Query(() => PolicySimulation, {
    nullable: true,
    description:
      'Replays the messages published in [from, to) under the policies in force today and with ' +
      'one policy changed (or added, without policyId), using the enheter’s real varslingsadresser. ' +
      `At most ${MAX_MESSAGES} messages. Needs varsling:admin; null with the error when refused.`,
  })
  async simulatePolicyChange(
    @Arg('change', () => PolicyInput) change: PolicyInput,
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Arg('policyId', () => ID, { nullable: true }) policyId: string | null,
    @Ctx() ctx: Context,
  ): Promise<PolicySimulation | null> {
    requireScope(ctx.caller, Scope.VARSLING_ADMIN);
    const changed = validatePolicy(change);
    if (from >= to) {
      throw new ClientError(ErrorCode.BAD_USER_INPUT, 'from must be before to.', {
        argument: 'to',
      });
    }
    const now = new Date();
    const policies = await ctx.em.find(NotificationPolicy, { retiredAt: null });
    if (policyId && !policies.some((p) => p.id === policyId)) {
      throw new ClientError(
        ErrorCode.NOT_FOUND,
        `There is no policy ${preview(policyId)} in force.`,
      );
    }
    const stand = {
      ...changed,
      id: policyId ?? 'simulated',
      retiredAt: null,
    } as unknown as NotificationPolicy;
    const variant = [...policies.filter((p) => p.id !== policyId), stand];
    const rows = await ctx.em.getConnection().execute<
      Array<{
        recipient_orgnr: string;
        sender_orgnr: string;
        service_code: string;
        title: string;
        published_at: Date;
        read_at: Date | null;
        classification: Classification | null;
      }>
    >(
      `select recipient_orgnr, sender_orgnr, service_code, title, published_at,
         least(read_at, archived_at) as read_at, classification
       from message_event where published_at >= ? and published_at < ? order by published_at limit ?`,
      [from, to, MAX_MESSAGES + 1],
    );
    // Raw SQL gives timestamps as text.
    const messages = rows.map((m) => ({
      ...m,
      published_at: new Date(m.published_at),
      read_at: m.read_at ? new Date(m.read_at) : null,
    }));
    if (messages.length > MAX_MESSAGES) {
      throw new ClientError(
        ErrorCode.BAD_USER_INPUT,
        `The period holds more than ${MAX_MESSAGES} messages; shorten it.`,
        { argument: 'from' },
      );
    }
    const directory = ctx.services.enhetsregisteret
      ? await lookUp(
          ctx.services.enhetsregisteret,
          messages.map((m) => m.recipient_orgnr),
        )
      : new Map<string, DirectoryEntry>();
    const count = (set: readonly NotificationPolicy[]) => {
      const c = { notices: 0, reminders: 0, sms: 0, emails: 0, outsideWorkingHours: 0 };
      for (const m of messages) {
        const scope = { senderOrgnr: m.sender_orgnr, serviceCode: m.service_code };
        const rules = effectiveRules(
          applicablePolicy(set, scope, now),
          m.service_code,
          m.classification,
        );
        if (!rules) continue;
        const entry = directory.get(m.recipient_orgnr) ?? {
          name: m.recipient_orgnr,
          emails: [],
          mobiles: [],
        };
        const orders = planOrders(
          rules,
          {
            recipientOrgnr: m.recipient_orgnr,
            recipientName: entry.name,
            senderName: m.sender_orgnr,
            serviceCode: m.service_code,
            title: m.title,
            publishedAt: m.published_at,
          },
          entry,
        );
        for (const o of orders) {
          if (o.cancelled) continue;
          if (o.kind === 'REMINDER') {
            if (m.read_at && m.read_at < o.plannedAt) continue;
            c.reminders++;
          } else {
            c.notices++;
            if (nextAllowedMoment(o.plannedAt, DEFAULT_WINDOW).deferrals.length)
              c.outsideWorkingHours++;
          }
          for (const n of o.notifications) {
            if (n.channel === 'SMS') c.sms++;
            else c.emails++;
          }
        }
      }
      return c;
    };
    const kept = { notices: 0, reminders: 0 };
    if (policyId) {
      const planned = await ctx.em.getConnection().execute<Array<{ kind: string; n: string }>>(
        `select kind, count(*) as n from notification_order
         where policy_id = ? and status = 'Registered' group by kind`,
        [policyId],
      );
      for (const p of planned) {
        if (p.kind === 'REMINDER') kept.reminders += Number(p.n);
        else kept.notices += Number(p.n);
      }
    }
    return {
      messages: messages.length,
      keptAsPlanned: kept,
      current: count(policies),
      changed: count(variant),
    };
  }

  private async stored(ctx: Context, id: string | null): Promise<PolicyRules> {
    if (!id) {
      throw new ClientError(ErrorCode.BAD_USER_INPUT, 'Give policyId or policy.', {
        argument: 'policyId',
      });
    }
    const policy = await ctx.loaders.policy.load(uuidOrNil(id));
    if (!policy) throw new ClientError(ErrorCode.NOT_FOUND, `There is no policy ${preview(id)}.`);
    return policy;
  }
}
