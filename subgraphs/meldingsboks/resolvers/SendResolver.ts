import { Arg, Ctx, Field, ID, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { requireScope } from '../../../platform/auth/authorize.js';
import { actorName, Scope, type Caller } from '../../../platform/auth/caller.js';
import { assertOrgnr } from '../../domain/orgnr.js';
import { ClientError, ErrorCode } from '../../../platform/graphql/errors.js';
import { uuidOrNil } from '../../../platform/graphql/ids.js';
import { capItems } from '../../../platform/graphql/inputLimits.js';
import { preview } from '../../../platform/graphql/preview.js';
import type { Context } from '../context.js';
import { checkTransition, MessageStatus } from '../domain/lifecycle.js';
import { validateMessage } from '../domain/validateMessage.js';
import { ApprovedSender, SenderAgreement } from '../entities/ApprovedSender.js';
import { Message } from '../entities/Message.js';
import { activeEnhet } from '../services/enhetsregisteret.js';
import { assertMaySend } from '../services/senders.js';
import { titleWarnings } from '../domain/titleGuidelines.js';
import { inTransaction } from '../../../platform/db/transaction.js';
import { insertMessage, recordStatus, storeWarnings, type Actor } from '../services/store.js';
import { SendMessageInput } from './inputs.js';

/** Messages a year each sender sends free of charge; beyond it a regular agreement applies. */
export const FREE_QUOTA = 10_000;
const MAX_REFERENCES = 10_000;

@ObjectType({ description: "A sender's use of DPV in one calendar year (Europe/Oslo)." })
export class SenderUsage {
  @Field(() => String) sender!: string;
  @Field(() => Int) year!: number;
  @Field(() => Int, { description: 'Messages sent (as the real sender).' }) messages!: number;
  @Field(() => Int) freeQuota!: number;
  @Field(() => Int, { description: 'Messages beyond the free quota.' }) beyondFreeQuota!: number;
  @Field(() => SenderAgreement, {
    nullable: true,
    description: "The sender's agreement now; null when it is not an approved sender.",
  })
  agreement!: SenderAgreement | null;
  @Field(() => Boolean, {
    description: `Past the free quota of ${FREE_QUOTA} without a Samarbeidsavtale (DPV-2017).`,
  })
  needsSamarbeidsavtale!: boolean;
}

function usage(
  sender: string,
  year: number,
  messages: number,
  agreement: SenderAgreement | null,
): SenderUsage {
  return {
    sender,
    year,
    messages,
    freeQuota: FREE_QUOTA,
    beyondFreeQuota: Math.max(0, messages - FREE_QUOTA),
    agreement,
    needsSamarbeidsavtale: messages > FREE_QUOTA && agreement !== SenderAgreement.SAMARBEIDSAVTALE,
  };
}

function checkYear(year: number): void {
  if (!Number.isInteger(year) || year < 2000 || year > 9999) {
    throw new ClientError(ErrorCode.BAD_USER_INPUT, 'year must be a year.', { argument: 'year' });
  }
}

// A calendar year in Oslo time; purged before publish does not count.
const IN_YEAR = `created_at >= make_timestamptz(?, 1, 1, 0, 0, 0, 'Europe/Oslo')
  and created_at < make_timestamptz(?, 1, 1, 0, 0, 0, 'Europe/Oslo') and status <> 'PurgedByAltinn'`;

export function actorOf(caller: Caller): Actor {
  // A person's actions are recorded under the enhet the person acts for.
  return { org: caller.org ?? caller.actingFor, who: actorName(caller) };
}

/** The caller's organisation when it acts with `scope`; FORBIDDEN otherwise. */
export function actingOrg(caller: Caller, scope: Scope): string {
  requireScope(caller, scope);
  if (!caller.org) {
    throw new ClientError(ErrorCode.FORBIDDEN, 'Your token names no organisation to act for.');
  }
  return caller.org;
}

@Resolver()
export class SendResolver {
  @Mutation(() => Message, {
    description:
      'Sends a message (scope dpv:send, as an approved sender). The same sendersReference again ' +
      'returns the first message. RECIPIENT_NOT_FOUND when the recipient is not a registered enhet; ' +
      'FORBIDDEN when onBehalfOf names a body that has not authorised you. A title that breaks ' +
      'the guidelines is sent, with guidelineWarnings on the message.',
  })
  async sendMessage(
    @Arg('input', () => SendMessageInput) input: SendMessageInput,
    @Ctx() ctx: Context,
  ): Promise<Message> {
    const org = actingOrg(ctx.caller, Scope.DPV_SEND);
    const message = validateMessage(input, org, ctx.services.settings.maxAttachmentBytes);
    await assertMaySend(ctx.em, org, message.senderOrgnr);
    const earlier = await this.sent(ctx, org, message.sendersReference);
    if (earlier) return earlier;
    const recipient = await activeEnhet(
      ctx.services.enhetsregisteret,
      message.recipientOrgnr,
      ctx.requestId,
    );
    if (!recipient) {
      throw new ClientError(
        ErrorCode.RECIPIENT_NOT_FOUND,
        `${message.recipientOrgnr} is not a registered enhet (or it is deleted).`,
        { recipient: message.recipientOrgnr },
      );
    }
    const warnings = titleWarnings(message.title, recipient, input.service);
    const stored = await inTransaction(ctx.em, async (run) => {
      const row = await insertMessage(run, message, actorOf(ctx.caller));
      if (row && warnings.length > 0) await storeWarnings(run, row.id, warnings);
      return row;
    });
    const result = stored
      ? await ctx.em.fork().findOne(Message, { id: stored.id })
      : await this.sent(ctx, org, message.sendersReference);
    if (!result) throw new Error('the message just stored is gone');
    ctx.log.info({ messageId: result.id, published: stored?.published }, 'message sent');
    return result;
  }

  private sent(ctx: Context, org: string, sendersReference: string): Promise<Message | null> {
    return ctx.em.fork().findOne(Message, { technicalSenderOrgnr: org, sendersReference });
  }

  @Mutation(() => Message, {
    description:
      'The sender withdraws a message before it is published (INVALID_TRANSITION after).',
  })
  async purgeSentMessage(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Message> {
    const org = actingOrg(ctx.caller, Scope.DPV_SEND);
    await inTransaction(ctx.em, async (run) => {
      const [row] = await run<{ status: MessageStatus; is_confirmation_needed: boolean }>(
        `select status, is_confirmation_needed from message
         where id = ?::uuid and ? in (technical_sender_orgnr, sender_orgnr) for update`,
        [uuidOrNil(id), org],
      );
      if (!row) throw new ClientError(ErrorCode.NOT_FOUND, `You sent no message ${preview(id)}.`);
      const to = MessageStatus.PURGED_BY_ALTINN;
      const verdict = checkTransition(
        { status: row.status, isConfirmationNeeded: row.is_confirmation_needed },
        to,
      );
      if (verdict === 'apply') await recordStatus(run, [id], to, actorOf(ctx.caller));
    });
    return (await ctx.em.fork().findOne(Message, { id }))!;
  }

  // The root fields below can be refused (scope, argument), so they are nullable: the refusal
  // nulls that field alone, and the public fields asked for beside it still arrive.
  @Query(() => [Message], {
    nullable: true,
    description:
      `Your messages by your references (at most ${MAX_REFERENCES}), with their status; unknown ` +
      'references are left out. Needs dpv:send; null with the error otherwise.',
  })
  async messagesByReference(
    @Arg('sendersReferences', () => [String]) references: string[],
    @Ctx() ctx: Context,
  ): Promise<Message[] | null> {
    const org = actingOrg(ctx.caller, Scope.DPV_SEND);
    capItems({ argument: 'sendersReferences' }, references, MAX_REFERENCES);
    if (references.length === 0) return [];
    const found = await ctx.em.find(Message, {
      technicalSenderOrgnr: org,
      sendersReference: { $in: references },
    });
    const byRef = new Map(found.map((m) => [m.sendersReference, m]));
    return references.flatMap((r) => byRef.get(r) ?? []);
  }

  @Query(() => SenderUsage, {
    nullable: true,
    description:
      `Messages a sender sent in a year, against the free quota of ${FREE_QUOTA}. Your own ` +
      'organisation with dpv:send, any sender with dpv:admin; null with the error otherwise.',
  })
  async senderUsage(
    @Arg('year', () => Int) year: number,
    @Arg('sender', () => String, { nullable: true }) sender: string | null,
    @Ctx() ctx: Context,
  ): Promise<SenderUsage | null> {
    const who = sender ?? actingOrg(ctx.caller, Scope.DPV_SEND);
    assertOrgnr(who);
    if (who !== ctx.caller.org || !ctx.caller.scopes.has(Scope.DPV_SEND)) {
      requireScope(ctx.caller, Scope.DPV_ADMIN);
    }
    checkYear(year);
    const [row] = await ctx.em
      .getConnection()
      .execute<Array<{ n: string; agreement: SenderAgreement | null }>>(
        `select (select count(*) from message where sender_orgnr = ? and ${IN_YEAR}) as n,
         (select agreement from approved_sender where organisasjonsnummer = ?
          and revoked_at is null) as agreement`,
        [who, year, year + 1, who],
      );
    return usage(who, year, Number(row?.n ?? 0), row?.agreement ?? null);
  }

  @Query(() => [SenderUsage], {
    nullable: true,
    description:
      `Bodies past ${FREE_QUOTA} messages in the year without a Samarbeidsavtale, most first ` +
      '(scope dpv:admin); null with FORBIDDEN without it.',
  })
  async sendersNeedingSamarbeidsavtale(
    @Arg('year', () => Int) year: number,
    @Ctx() ctx: Context,
  ): Promise<SenderUsage[] | null> {
    requireScope(ctx.caller, Scope.DPV_ADMIN);
    checkYear(year);
    const rows = await ctx.em
      .getConnection()
      .execute<Array<{ sender_orgnr: string; n: string; agreement: SenderAgreement | null }>>(
        `select m.sender_orgnr, m.n, a.agreement from (
         select sender_orgnr, count(*) as n from message where ${IN_YEAR}
         group by sender_orgnr having count(*) > ?) m
       left join approved_sender a on a.organisasjonsnummer = m.sender_orgnr and a.revoked_at is null
       where a.agreement is distinct from 'SAMARBEIDSAVTALE'
       order by m.n desc, m.sender_orgnr`,
        [year, year + 1, FREE_QUOTA],
      );
    return rows.map((r) => usage(r.sender_orgnr, year, Number(r.n), r.agreement));
  }

  @Mutation(() => ApprovedSender, {
    description:
      'Approves a public body as a DPV sender, with its agreement kind (scope dpv:admin).',
  })
  async approveSender(
    @Arg('organisasjonsnummer', () => String) organisasjonsnummer: string,
    @Arg('name', () => String) name: string,
    @Arg('agreement', () => SenderAgreement, {
      nullable: true,
      description: 'DPV_TERMS for a new sender when not given; an existing one keeps its own.',
    })
    agreement: SenderAgreement | null,
    @Ctx() ctx: Context,
  ): Promise<ApprovedSender> {
    requireScope(ctx.caller, Scope.DPV_ADMIN);
    assertOrgnr(organisasjonsnummer);
    if (name.trim() === '' || name.length > 256) {
      throw new ClientError(ErrorCode.BAD_USER_INPUT, 'name must be 1 to 256 characters.', {
        argument: 'name',
        max: 256,
      });
    }
    const actor = actorOf(ctx.caller).who;
    await ctx.em.getConnection().execute(
      `insert into approved_sender (organisasjonsnummer, name, approved_by, agreement)
       values (?, ?, ?, coalesce(?, 'DPV_TERMS'))
       on conflict (organisasjonsnummer) do update set name = excluded.name,
         approved_at = now(), approved_by = excluded.approved_by, revoked_at = null, revoked_by = null,
         agreement = coalesce(?, approved_sender.agreement)`,
      [organisasjonsnummer, name, actor, agreement ?? null, agreement ?? null],
    );
    return (await ctx.em.fork().findOne(ApprovedSender, { organisasjonsnummer }))!;
  }

  @Mutation(() => ApprovedSender, {
    description: 'Withdraws an approval (scope dpv:admin); what was sent stays.',
  })
  async revokeSender(
    @Arg('organisasjonsnummer', () => String) organisasjonsnummer: string,
    @Ctx() ctx: Context,
  ): Promise<ApprovedSender> {
    requireScope(ctx.caller, Scope.DPV_ADMIN);
    const rows = await ctx.em.getConnection().execute<Array<{ organisasjonsnummer: string }>>(
      `update approved_sender set revoked_at = coalesce(revoked_at, now()),
         revoked_by = coalesce(revoked_by, ?) where organisasjonsnummer = ? returning organisasjonsnummer`,
      [actorOf(ctx.caller).who, organisasjonsnummer],
    );
    if (rows.length === 0) {
      throw new ClientError(
        ErrorCode.NOT_FOUND,
        `${preview(organisasjonsnummer)} is not a DPV sender.`,
      );
    }
    return (await ctx.em.fork().findOne(ApprovedSender, { organisasjonsnummer }))!;
  }

  @Query(() => [ApprovedSender], {
    nullable: true,
    description: 'The sender register (scope dpv:admin); null with FORBIDDEN without it.',
  })
  approvedSenders(@Ctx() ctx: Context): Promise<ApprovedSender[] | null> {
    requireScope(ctx.caller, Scope.DPV_ADMIN);
    return ctx.em.find(ApprovedSender, {}, { orderBy: { organisasjonsnummer: 'asc' } });
  }
}
