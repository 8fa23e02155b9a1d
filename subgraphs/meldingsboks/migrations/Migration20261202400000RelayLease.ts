import { Migration } from '@mikro-orm/migrations';

/**
 * The outbox relay leads by a renewable lease with a fencing token instead of a session advisory
 * lock, which a frozen process would keep for as long as its kernel answers TCP keepalives.
 */
export class Migration20261202400000RelayLease extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table relay_lease (
        name text primary key,
        holder text not null,
        token bigint not null,
        expires_at timestamptz not null
      );
    `);
  }
}
