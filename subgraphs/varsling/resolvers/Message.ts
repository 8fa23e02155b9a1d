import {
  Ctx,
  Directive,
  Field,
  FieldResolver,
  ID,
  Int,
  ObjectType,
  Resolver,
  Root,
} from 'type-graphql';
import { hasAnyScope, requireScope } from '../../../platform/auth/authorize.js';
import { Scope, type Caller } from '../../../platform/auth/caller.js';
import { ClientError, ErrorCode } from '../../../platform/graphql/errors.js';
import { preview } from '../../../platform/graphql/preview.js';
import type { Context } from '../context.js';
import { maskAddress } from '../domain/mask.js';
import { NotificationPolicy } from '../entities/NotificationPolicy.js';
import type { NotificationRow } from '../loaders/index.js';

/** Enhetsregisteret owns the enhet; varsling adds the owner's notification summary. */
@ObjectType()
@Directive('@key(fields: "organisasjonsnummer")')
export class Enhet {
  @Field(() => String)
  organisasjonsnummer!: string;
}

/** Meldingsboks owns the message; varsling adds the policy that applies and the notices sent. */
@ObjectType()
@Directive('@key(fields: "id")')
export class Message {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  @Directive('@external')
  serviceCode!: string;

  @Field(() => Enhet)
  @Directive('@external')
  sender!: Enhet;
}

@ObjectType({ description: 'Deferral: why a notice waits (outside the window, a holiday).' })
export class DeferralReason {
  @Field(() => String, { description: 'BEFORE_HOURS, AFTER_HOURS, NOT_A_SENDING_DAY, HOLIDAY.' })
  reason!: string;
  @Field(() => String, { description: 'The Oslo date passed over.' }) date!: string;
  @Field(() => String) detail!: string;
}

@ObjectType({ description: 'A notice, reminder or service message for a message, per address.' })
export class Notification {
  @Field(() => String, { description: 'NOTICE, REMINDER or SERVICE_MESSAGE.' }) kind!: string;
  @Field(() => String, { nullable: true, description: 'EMAIL or SMS; null when none is sent.' })
  channel!: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'The address, in full only to the enhet itself; masked to others.',
  })
  address!: string | null;
  @Field(() => String, {
    description:
      'The notification status (New, Sending, Succeeded, Accepted, Delivered, Failed), or the ' +
      "order's (Registered, SendConditionNotMet, Cancelled) when nothing is sent.",
  })
  status!: string;
  @Field(() => String) orderStatus!: string;
  @Field(() => String, { nullable: true, description: 'Why it was cancelled, not sent or failed.' })
  reason!: string | null;
  @Field(() => String, {
    nullable: true,
    description:
      'How it departs from the policy, if it does: a varsel sent on another channel than the ' +
      "policy's (it had no address there), or confidential post's standard texts.",
  })
  deviation!: string | null;
  @Field(() => Date) plannedAt!: Date;
  @Field(() => Date, { nullable: true }) sentAt!: Date | null;
  @Field(() => Int) attempts!: number;
  @Field(() => [DeferralReason]) deferrals!: DeferralReason[];
}

/** Who may see notices: anyone meldingsboks lets see the message (any post scope), or an admin. */
function requirePostScope(caller: Caller): void {
  if (!hasAnyScope(caller, Scope.DPV_READ, Scope.DPV_SEND, Scope.VARSLING_ADMIN)) {
    requireScope(caller, Scope.DPV_READ);
  }
}

export function toNotification(row: NotificationRow, caller: Caller): Notification {
  const owner = caller.org === row.recipient_orgnr && caller.scopes.has(Scope.DPV_READ);
  return {
    kind: row.kind,
    channel: row.channel,
    address: owner || !row.address ? row.address : maskAddress(row.address),
    status: row.status ?? row.order_status,
    orderStatus: row.order_status,
    reason: row.failure_reason ?? row.status_reason,
    deviation: row.deviation,
    plannedAt: new Date(row.planned_at),
    sentAt: row.sent_at ? new Date(row.sent_at) : null,
    attempts: row.attempts ?? 0,
    deferrals: (row.deferrals ?? []) as DeferralReason[],
  };
}

@Resolver(() => Message)
export class MessagePolicyResolver {
  @FieldResolver(() => NotificationPolicy, {
    nullable: true,
    description: 'The notification policy that applies to this message, if any.',
  })
  @Directive('@requires(fields: "serviceCode sender { organisasjonsnummer }")')
  notificationPolicy(
    @Root() message: Message,
    @Ctx() ctx: Context,
  ): Promise<NotificationPolicy | null> {
    // Meldingsboks decides who sees the message; here, any caller who may read or send post.
    requirePostScope(ctx.caller);
    return ctx.loaders.policyFor.load({
      senderOrgnr: message.sender.organisasjonsnummer,
      serviceCode: message.serviceCode,
    });
  }

  @FieldResolver(() => [Notification], {
    description:
      'Notices, reminders and service messages for this message, with status and times. ' +
      'Addresses are masked except to the recipient enhet itself.',
  })
  async notifications(@Root() message: Message, @Ctx() ctx: Context): Promise<Notification[]> {
    requirePostScope(ctx.caller);
    const rows = await ctx.loaders.notifications.load(message.id);
    return rows.map((r) => toNotification(r, ctx.caller));
  }
}

@ObjectType({ description: "An enhet's notices over the last 30 days." })
export class NotificationSummary {
  @Field(() => Int) notices!: number;
  @Field(() => Int) reminders!: number;
  @Field(() => Int, { description: 'Planned, not yet sent.' }) pending!: number;
  @Field(() => Int) sent!: number;
  @Field(() => Int) failed!: number;
  @Field(() => Int, { description: 'Reminders not sent because the message was read.' })
  remindersNotNeeded!: number;
  @Field(() => Date, { nullable: true }) lastSentAt!: Date | null;
}

/** Nullable: the enhet is public, its summary is not, and a refusal must null the summary alone. */
@Resolver(() => Enhet)
export class EnhetNotificationResolver {
  @FieldResolver(() => NotificationSummary, {
    nullable: true,
    description:
      'For the enhet itself (acting for it, dpv:read): its notices of the last 30 days. Null ' +
      'with FORBIDDEN for anyone else.',
  })
  async notificationSummary(
    @Root() enhet: Enhet,
    @Ctx() ctx: Context,
  ): Promise<NotificationSummary | null> {
    requireScope(ctx.caller, Scope.DPV_READ);
    if (ctx.caller.org !== enhet.organisasjonsnummer) {
      throw new ClientError(
        ErrorCode.FORBIDDEN,
        `You do not act for ${preview(enhet.organisasjonsnummer)}.`,
      );
    }
    const [row] = await ctx.em.getConnection().execute<Array<Record<string, string | Date | null>>>(
      `select count(*) filter (where o.kind <> 'REMINDER') as notices,
         count(*) filter (where o.kind = 'REMINDER') as reminders,
         count(*) filter (where n.status in ('New', 'Sending')) as pending,
         count(*) filter (where n.status in ('Succeeded', 'Accepted', 'Delivered')) as sent,
         count(*) filter (where n.status = 'Failed') as failed,
         count(distinct o.id) filter (where o.status = 'SendConditionNotMet') as reminders_not_needed,
         max(n.sent_at) as last_sent_at
       from notification_order o left join notification n on n.order_id = o.id
       where o.recipient_orgnr = ? and o.created_at > now() - interval '30 days'`,
      [enhet.organisasjonsnummer],
    );
    const n = (k: string) => Number(row?.[k] ?? 0);
    return {
      notices: n('notices'),
      reminders: n('reminders'),
      pending: n('pending'),
      sent: n('sent'),
      failed: n('failed'),
      remindersNotNeeded: n('reminders_not_needed'),
      lastSentAt: row?.last_sent_at ? new Date(row.last_sent_at) : null,
    };
  }
}

export const messageReference = {
  // The gateway hands over the @requires fields with the key: nothing to load.
  __resolveReference: (ref: Message): Message => ref,
};

export const enhetReference = {
  __resolveReference: (ref: { organisasjonsnummer: string }): Enhet => ({
    organisasjonsnummer: ref.organisasjonsnummer,
  }),
};
