import { Migration } from '@mikro-orm/migrations';

export class Migration20261121000000Init extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create type notification_channel as enum
        ('EMAIL', 'SMS', 'EMAIL_PREFERRED', 'SMS_PREFERRED', 'EMAIL_AND_SMS');
      create table notification_policy (
        id uuid primary key default gen_random_uuid(),
        name text not null,
        channel notification_channel not null,
        sender_orgnr character(9) check (sender_orgnr ~ '^[0-9]{9}$'),
        service_code text check (service_code ~ '^[0-9]+/[0-9]+$')
      );
      -- One policy per scope; NULLS NOT DISTINCT makes the default scope unique too.
      create unique index notification_policy_scope_idx
        on notification_policy (sender_orgnr, service_code) nulls not distinct;
    `);
  }
}
