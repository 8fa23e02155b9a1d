import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { requireActingFor, requireScope } from '../../../platform/auth/authorize.js';
import { Scope } from '../../../platform/auth/caller.js';
import type { Context } from '../context.js';
import { MessageStatus } from '../domain/lifecycle.js';
import { Attachment } from '../entities/Attachment.js';
import { Message } from '../entities/Message.js';
import { GuidelineWarning } from '../entities/parts.js';
import { StatusChange } from '../entities/StatusChange.js';
import { inTransaction } from '../../../platform/db/transaction.js';
import { recordStatus } from '../services/store.js';
import { Enhet } from './Enhet.js';
import { uuidOrNil } from '../../../platform/graphql/ids.js';
import { actorOf } from './SendResolver.js';

@Resolver(() => Message)
export class MessageResolver {
  @Query(() => Message, {
    nullable: true,
    description:
      'A message the caller may read: in an inbox it can read (published, not purged) or one it ' +
      'sent; null if there is none. Opening it in the inbox records Fetched once.',
  })
  async message(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Message | null> {
    const message = await readableMessage(id, ctx);
    if (message && !message.fetchedAt && (await ctx.access.readsAsRecipient(message))) {
      await inTransaction(ctx.em.fork(), (run) =>
        recordStatus(run, [message.id], MessageStatus.FETCHED, actorOf(ctx.caller)),
      );
    }
    return message;
  }

  @FieldResolver(() => Enhet, { description: 'Mottaker: the enhet whose inbox holds the message.' })
  recipient(@Root() message: Message): Enhet {
    return { organisasjonsnummer: message.recipientOrgnr };
  }

  @FieldResolver(() => Enhet, { description: 'Avsender: the public body the message is from.' })
  sender(@Root() message: Message): Enhet {
    return { organisasjonsnummer: message.senderOrgnr };
  }

  @FieldResolver(() => Enhet, {
    description: 'The approved sender that sent it (differs from sender when sent on its behalf).',
  })
  technicalSender(@Root() message: Message): Enhet {
    return { organisasjonsnummer: message.technicalSenderOrgnr };
  }

  @FieldResolver(() => [GuidelineWarning], {
    nullable: true,
    description:
      'The title guidelines the message broke when it was sent ("Krav til utformingen av ' +
      'overskriften"; it was sent anyway). For its sender only (dpv:send acting for the ' +
      'technical or the real sender); null with FORBIDDEN for anyone else.',
  })
  guidelineWarnings(@Root() message: Message, @Ctx() ctx: Context): GuidelineWarning[] {
    requireActingFor(
      ctx.caller,
      ctx.caller.org === message.senderOrgnr ? message.senderOrgnr : message.technicalSenderOrgnr,
      Scope.DPV_SEND,
    );
    return message.guidelineWarnings;
  }

  @FieldResolver(() => [Attachment])
  attachments(@Root() message: Message, @Ctx() ctx: Context): Promise<Attachment[]> {
    return ctx.loaders.attachments.load(message.id);
  }

  @FieldResolver(() => [StatusChange], {
    description: 'Every status the message reached, oldest first (append-only).',
  })
  statusHistory(@Root() message: Message, @Ctx() ctx: Context): Promise<StatusChange[]> {
    return ctx.loaders.statusHistory.load(message.id);
  }
}

@Resolver(() => Attachment)
export class AttachmentResolver {
  @FieldResolver(() => String, {
    nullable: true,
    description:
      'The content, base64; null when only metadata was sent. Reachable only through a message ' +
      'the caller may read.',
  })
  async contentBase64(@Root() attachment: Attachment, @Ctx() ctx: Context): Promise<string | null> {
    const row = await ctx.loaders.attachmentContent.load(attachment.id);
    return row?.content ? Buffer.from(row.content).toString('base64') : null;
  }
}

export const messageReference = {
  __resolveReference: (ref: { id: string }, ctx: Context) => readableMessage(ref.id, ctx),
};

/** The message if the caller may read it; null if there is none or it may not (no leak of existence). */
async function readableMessage(id: string, ctx: Context): Promise<Message | null> {
  if (ctx.caller.anonymous) requireScope(ctx.caller, Scope.DPV_READ);
  const message = await ctx.loaders.message.load(uuidOrNil(id));
  return message && (await ctx.access.canRead(message)) ? message : null;
}
