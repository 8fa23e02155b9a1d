import { Migration } from '@mikro-orm/migrations';

/**
 * Outbox rows get their position from the relay after they commit, instead of from a sequence
 * under a lock every writer queued on. Rows keep an insertion id; rows written before keep the
 * positions they had.
 */
export class Migration20261121120000OutboxRelay extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table outbox drop constraint outbox_pkey;
      alter table outbox alter column position drop default;
      alter table outbox alter column position drop not null;
      drop sequence outbox_position_seq;
      alter table outbox add column id bigserial primary key;
      create unique index outbox_position_key on outbox (position);
      create index outbox_unpositioned_idx on outbox (id) where position is null;
    `);
  }
}
