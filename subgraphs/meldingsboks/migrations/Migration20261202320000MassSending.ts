import { Migration } from '@mikro-orm/migrations';

/**
 * Mass sendings: one request, many recipients, worked off as a job that survives a restart.
 * A worker holds a job by its lease; each recipient is a row that goes from PENDING to SENT (with
 * its message) or FAILED exactly once.
 */
export class Migration20261202320000MassSending extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table mass_sending (
        id uuid primary key default gen_random_uuid(),
        technical_sender_orgnr character(9) not null check (technical_sender_orgnr ~ '^[0-9]{9}$'),
        sender_orgnr character(9) not null check (sender_orgnr ~ '^[0-9]{9}$'),
        senders_reference text not null check (length(senders_reference) between 1 and 4000),
        classification text not null
          check (classification in ('VARSLINGSPLIKT', 'SERVICEMELDING', 'NONE')),
        message jsonb not null,
        recipients text[],
        filter jsonb,
        check ((recipients is null) <> (filter is null)),
        status text not null default 'RESOLVING'
          check (status in ('RESOLVING', 'SENDING', 'COMPLETED', 'FAILED')),
        resolve_cursor text,
        total integer not null default 0,
        sent integer not null default 0,
        failed integer not null default 0,
        error text,
        created_by text not null,
        created_at timestamptz not null default now(),
        completed_at timestamptz,
        stepped_at timestamptz,
        lease_owner text,
        lease_until timestamptz,
        unique (technical_sender_orgnr, senders_reference)
      );
      create index mass_sending_open_idx on mass_sending (stepped_at nulls first)
        where status in ('RESOLVING', 'SENDING');

      create table mass_sending_recipient (
        mass_sending_id uuid not null references mass_sending (id),
        organisasjonsnummer character(9) not null check (organisasjonsnummer ~ '^[0-9]{9}$'),
        navn text,
        state text not null default 'PENDING' check (state in ('PENDING', 'SENT', 'FAILED')),
        message_id uuid references message (id),
        error_code text,
        error text,
        primary key (mass_sending_id, organisasjonsnummer)
      );
      create index mass_sending_recipient_pending_idx
        on mass_sending_recipient (mass_sending_id, organisasjonsnummer) where state = 'PENDING';
      create index mass_sending_recipient_failed_idx
        on mass_sending_recipient (mass_sending_id, organisasjonsnummer) where state = 'FAILED';
    `);
  }
}
