import { Migration } from '@mikro-orm/migrations';

/**
 * The sender's classification of a message (varslingsplikt, servicemelding or none; null when
 * not given, and the notification policies decide), stored with the message and carried on its
 * outbox events for varsling.
 */
export class Migration20261202200000Classification extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table message add column classification text
        check (classification in ('VARSLINGSPLIKT', 'SERVICEMELDING', 'NONE'));
      alter table outbox add column classification text;
    `);
  }
}
