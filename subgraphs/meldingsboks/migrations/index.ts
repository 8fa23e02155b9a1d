import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261121000000Init } from './Migration20261121000000Init.js';
import { Migration20261121100000Dpv } from './Migration20261121100000Dpv.js';
import { Migration20261121110000InboxIndex } from './Migration20261121110000InboxIndex.js';
import { Migration20261121120000OutboxRelay } from './Migration20261121120000OutboxRelay.js';
import { Migration20261121130000OutboxPayload } from './Migration20261121130000OutboxPayload.js';
import { Migration20261202100000PersonGrant } from './Migration20261202100000PersonGrant.js';
import { Migration20261202200000Classification } from './Migration20261202200000Classification.js';
import { Migration20261202300000SenderAuthorisation } from './Migration20261202300000SenderAuthorisation.js';
import { Migration20261202310000GuidelineWarnings } from './Migration20261202310000GuidelineWarnings.js';
import { Migration20261202320000MassSending } from './Migration20261202320000MassSending.js';
import { Migration20261202400000RelayLease } from './Migration20261202400000RelayLease.js';
import { Migration20261202410000EventContract } from './Migration20261202410000EventContract.js';
import { Migration20261202500000Webhooks } from './Migration20261202500000Webhooks.js';
import { Migration20261202600000AccessEvents } from './Migration20261202600000AccessEvents.js';

/** Applied in order on start; append only. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261121000000Init', class: Migration20261121000000Init },
  { name: 'Migration20261121100000Dpv', class: Migration20261121100000Dpv },
  { name: 'Migration20261121110000InboxIndex', class: Migration20261121110000InboxIndex },
  { name: 'Migration20261121120000OutboxRelay', class: Migration20261121120000OutboxRelay },
  { name: 'Migration20261121130000OutboxPayload', class: Migration20261121130000OutboxPayload },
  { name: 'Migration20261202100000PersonGrant', class: Migration20261202100000PersonGrant },
  { name: 'Migration20261202200000Classification', class: Migration20261202200000Classification },
  {
    name: 'Migration20261202300000SenderAuthorisation',
    class: Migration20261202300000SenderAuthorisation,
  },
  {
    name: 'Migration20261202310000GuidelineWarnings',
    class: Migration20261202310000GuidelineWarnings,
  },
  { name: 'Migration20261202320000MassSending', class: Migration20261202320000MassSending },
  { name: 'Migration20261202400000RelayLease', class: Migration20261202400000RelayLease },
  { name: 'Migration20261202410000EventContract', class: Migration20261202410000EventContract },
  { name: 'Migration20261202500000Webhooks', class: Migration20261202500000Webhooks },
  { name: 'Migration20261202600000AccessEvents', class: Migration20261202600000AccessEvents },
];
