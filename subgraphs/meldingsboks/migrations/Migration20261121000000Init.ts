import { Migration } from '@mikro-orm/migrations';

export class Migration20261121000000Init extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table message (
        id uuid primary key default gen_random_uuid(),
        title text not null,
        recipient_orgnr character(9) not null check (recipient_orgnr ~ '^[0-9]{9}$'),
        sender_orgnr character(9) not null check (sender_orgnr ~ '^[0-9]{9}$'),
        service_code text not null check (service_code ~ '^[0-9]+/[0-9]+$'),
        created_at timestamptz not null default now()
      );
      create index message_inbox_idx on message (recipient_orgnr, created_at desc, id desc);
    `);
  }
}
