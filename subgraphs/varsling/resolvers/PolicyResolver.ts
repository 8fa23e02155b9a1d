import { Ctx, Query, Resolver } from 'type-graphql';
import { requireScope } from '../../../platform/auth/authorize.js';
import { Scope } from '../../../platform/auth/caller.js';
import type { Context } from '../context.js';
import { NotificationPolicy } from '../entities/NotificationPolicy.js';

@Resolver(() => NotificationPolicy)
export class PolicyResolver {
  @Query(() => [NotificationPolicy], {
    description: 'Every notification policy, by name. Needs scope varsling:admin.',
  })
  notificationPolicies(@Ctx() ctx: Context): Promise<NotificationPolicy[]> {
    requireScope(ctx.caller, Scope.VARSLING_ADMIN);
    return ctx.em.find(NotificationPolicy, {}, { orderBy: { name: 'asc' } });
  }
}
