import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261121000000Init } from './Migration20261121000000Init.js';
import { Migration20261121130000Engine } from './Migration20261121130000Engine.js';
import { Migration20261202100000PersonContact } from './Migration20261202100000PersonContact.js';
import { Migration20261202200000Classification } from './Migration20261202200000Classification.js';
import { Migration20261202420000ParkedEvents } from './Migration20261202420000ParkedEvents.js';

/** Applied in order on start; append only. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261121000000Init', class: Migration20261121000000Init },
  { name: 'Migration20261121130000Engine', class: Migration20261121130000Engine },
  { name: 'Migration20261202100000PersonContact', class: Migration20261202100000PersonContact },
  { name: 'Migration20261202200000Classification', class: Migration20261202200000Classification },
  { name: 'Migration20261202420000ParkedEvents', class: Migration20261202420000ParkedEvents },
];
