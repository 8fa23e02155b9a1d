import { Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../context.js';
import { NotificationPolicy } from '../entities/NotificationPolicy.js';

@Resolver(() => NotificationPolicy)
export class PolicyResolver {
  @Query(() => [NotificationPolicy], { description: 'Every notification policy, by name.' })
  notificationPolicies(@Ctx() ctx: Context): Promise<NotificationPolicy[]> {
    return ctx.em.find(NotificationPolicy, {}, { orderBy: { name: 'asc' } });
  }
}
