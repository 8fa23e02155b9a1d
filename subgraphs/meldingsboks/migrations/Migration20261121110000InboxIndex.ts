import { Migration } from '@mikro-orm/migrations';

/**
 * The inbox index carries the service code, so that counting an inbox (which leaves out
 * confidential post unless it is granted) reads the index alone, not every message's page.
 */
export class Migration20261121110000InboxIndex extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      drop index message_inbox_idx;
      create index message_inbox_idx on message (recipient_orgnr, publish_seq desc)
        include (service_code)
        where publish_seq is not null and status <> 'PurgedByRecipient';
    `);
  }
}
