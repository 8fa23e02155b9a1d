import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { requireScope } from '../../../platform/auth/authorize.js';
import { Scope } from '../../../platform/auth/caller.js';
import { ClientError, ErrorCode } from '../../../platform/graphql/errors.js';
import type { Context } from '../context.js';
import { checkTransition, MessageStatus } from '../domain/lifecycle.js';
import { Message } from '../entities/Message.js';
import { inTransaction } from '../../../platform/db/transaction.js';
import { recordStatus } from '../services/store.js';
import { uuidOrNil } from '../../../platform/graphql/ids.js';
import { preview } from '../../../platform/graphql/preview.js';
import { actorOf } from './SendResolver.js';

/**
 * The recipient's side of the lifecycle: whoever may read the message in the inbox (the enhet
 * itself, or an organisation it granted access) may change its status.
 */
@Resolver()
export class RecipientResolver {
  @Mutation(() => Message, {
    description:
      'Marks a message read (a no-op when it already is); an archived one is stamped read and stays archived.',
  })
  markMessageAsRead(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Message> {
    return change(ctx, id, MessageStatus.READ);
  }

  @Mutation(() => Message, {
    description: 'Confirms a message that asks for it (reading it too, if not yet read).',
  })
  confirmMessage(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Message> {
    return change(ctx, id, MessageStatus.CONFIRMED);
  }

  @Mutation(() => Message, {
    description: 'Archives a message; CONFIRMATION_REQUIRED until it is confirmed, if it asks.',
  })
  archiveMessage(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Message> {
    return change(ctx, id, MessageStatus.ARCHIVED);
  }

  @Mutation(() => Message, {
    description: 'Deletes a message from the inbox (PurgedByRecipient); it is gone from then on.',
  })
  purgeMessage(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Message> {
    return change(ctx, id, MessageStatus.PURGED_BY_RECIPIENT);
  }
}

async function change(ctx: Context, id: string, to: MessageStatus): Promise<Message> {
  requireScope(ctx.caller, Scope.DPV_READ);
  const message = await ctx.em.fork().findOne(Message, { id: uuidOrNil(id) });
  if (!message || !(await ctx.access.readsAsRecipient(message))) {
    throw new ClientError(
      ErrorCode.NOT_FOUND,
      `There is no message ${preview(id)} in an inbox you can read.`,
    );
  }
  const actor = actorOf(ctx.caller);
  await inTransaction(ctx.em, async (run) => {
    // Locked, so that two changes at once are judged one after the other.
    const [row] = await run<{
      status: MessageStatus;
      is_confirmation_needed: boolean;
      read_at: Date | null;
      confirmed_at: Date | null;
    }>(
      'select status, is_confirmation_needed, read_at, confirmed_at from message where id = ? for update',
      [message.id],
    );
    const state = {
      status: row!.status,
      isConfirmationNeeded: row!.is_confirmation_needed,
      readAt: row!.read_at,
      confirmedAt: row!.confirmed_at,
    };
    if (checkTransition(state, to) === 'noop') return;
    if (to === MessageStatus.CONFIRMED && !state.readAt) {
      await recordStatus(run, [message.id], MessageStatus.READ, actor);
    }
    await recordStatus(run, [message.id], to, actor);
  });
  return (await ctx.em.fork().findOne(Message, { id: message.id }))!;
}
