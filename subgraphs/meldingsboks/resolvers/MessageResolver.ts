import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { assertCanRead } from '../access.js';
import type { Context } from '../context.js';
import { Message } from '../entities/Message.js';
import { Enhet } from './Enhet.js';

@Resolver(() => Message)
export class MessageResolver {
  @Query(() => Message, {
    nullable: true,
    description: 'A message the caller may read (as recipient or sender); null if there is none.',
  })
  message(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Message | null> {
    return readableMessage(id, ctx);
  }

  @FieldResolver(() => Enhet, { description: 'Mottaker: the enhet whose inbox holds the message.' })
  recipient(@Root() message: Message): Enhet {
    return { organisasjonsnummer: message.recipientOrgnr };
  }

  @FieldResolver(() => Enhet, { description: 'Avsender: the public body that sent the message.' })
  sender(@Root() message: Message): Enhet {
    return { organisasjonsnummer: message.senderOrgnr };
  }
}

export const messageReference = {
  __resolveReference: (ref: { id: string }, ctx: Context) => readableMessage(ref.id, ctx),
};

async function readableMessage(id: string, ctx: Context): Promise<Message | null> {
  const message = isUuid(id) ? await ctx.loaders.message.load(id) : null;
  if (message) assertCanRead(ctx.caller, message);
  return message;
}

function isUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}
