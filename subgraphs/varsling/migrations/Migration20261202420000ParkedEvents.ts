import { Migration } from '@mikro-orm/migrations';

/**
 * Events the engine could not handle after its retries, parked with their reason so that the
 * rest flow on; an admin retries or drops each one, and who did so is kept.
 */
export class Migration20261202420000ParkedEvents extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table parked_event (
        id uuid primary key default gen_random_uuid(),
        position bigint not null unique,
        event jsonb not null,
        reason text not null,
        attempts int not null,
        status text not null default 'Parked' check (status in ('Parked', 'Retried', 'Dropped')),
        parked_at timestamptz not null default now(),
        resolved_at timestamptz,
        resolved_by text,
        note text
      );
      create index parked_event_open_idx on parked_event (parked_at) where status = 'Parked';
    `);
  }
}
