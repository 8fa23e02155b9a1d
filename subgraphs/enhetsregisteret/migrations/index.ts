import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261121000000Init } from './Migration20261121000000Init.js';
import { Migration20261121010000Register } from './Migration20261121010000Register.js';
import { Migration20261121020000FuzzyKnn } from './Migration20261121020000FuzzyKnn.js';
import { Migration20261202100000PersonPid } from './Migration20261202100000PersonPid.js';
import { Migration20261202600000RoleChanges } from './Migration20261202600000RoleChanges.js';

/** Applied in order on start; append only. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261121000000Init', class: Migration20261121000000Init },
  { name: 'Migration20261121010000Register', class: Migration20261121010000Register },
  { name: 'Migration20261121020000FuzzyKnn', class: Migration20261121020000FuzzyKnn },
  { name: 'Migration20261202100000PersonPid', class: Migration20261202100000PersonPid },
  { name: 'Migration20261202600000RoleChanges', class: Migration20261202600000RoleChanges },
];
