import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261202000000RateLimits } from './Migration20261202000000RateLimits.js';

/** Applied in order on start; append only. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261202000000RateLimits', class: Migration20261202000000RateLimits },
];
