import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261202000000RateLimits } from './Migration20261202000000RateLimits.js';
import { Migration20261202010000SubscriptionPositions } from './Migration20261202010000SubscriptionPositions.js';

/** Applied in order on start; append only. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261202000000RateLimits', class: Migration20261202000000RateLimits },
  {
    name: 'Migration20261202010000SubscriptionPositions',
    class: Migration20261202010000SubscriptionPositions,
  },
];
