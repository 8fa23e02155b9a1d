import { Migration } from '@mikro-orm/migrations';

/** Events carry what consumers (varsling) need without asking: the sender and the title. */
export class Migration20261121130000OutboxPayload extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table outbox add column sender_orgnr character(9), add column title text;
      update outbox o set sender_orgnr = m.sender_orgnr, title = m.title
        from message m where m.id = o.message_id;
    `);
  }
}
