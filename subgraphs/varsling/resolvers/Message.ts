import { Ctx, Directive, Field, FieldResolver, ID, ObjectType, Resolver, Root } from 'type-graphql';
import { hasAnyScope, requireScope } from '../../../platform/auth/authorize.js';
import { Scope } from '../../../platform/auth/caller.js';
import type { Context } from '../context.js';
import { NotificationPolicy } from '../entities/NotificationPolicy.js';

/** Enhetsregisteret owns the enhet; here it is only the sender's key. */
@ObjectType()
@Directive('@key(fields: "organisasjonsnummer", resolvable: false)')
export class Enhet {
  @Field(() => String)
  organisasjonsnummer!: string;
}

/** Meldingsboks owns the message; varsling adds the policy that applies to it. */
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
    if (!hasAnyScope(ctx.caller, Scope.DPV_READ, Scope.DPV_SEND, Scope.VARSLING_ADMIN)) {
      requireScope(ctx.caller, Scope.DPV_READ);
    }
    return ctx.loaders.policyFor.load({
      senderOrgnr: message.sender.organisasjonsnummer,
      serviceCode: message.serviceCode,
    });
  }
}

export const messageReference = {
  // The gateway hands over the @requires fields with the key: nothing to load.
  __resolveReference: (ref: Message): Message => ref,
};
