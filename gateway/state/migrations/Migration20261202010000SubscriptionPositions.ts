import { Migration } from '@mikro-orm/migrations';

/**
 * Where each live subscription's client has confirmed it got to: its key (the subscriber's
 * identity, the client's subscription id and the operation, hashed), the cursor of the last event
 * the client confirmed, and until when a reconnect may resume from it. Every gateway instance
 * reads and writes it, so a client that reconnects to another instance resumes all the same.
 */
export class Migration20261202010000SubscriptionPositions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table subscription_position (
        key text primary key,
        cursor text not null,
        expires_at timestamptz not null
      );
      create index subscription_position_expires_idx on subscription_position (expires_at);
    `);
  }
}
