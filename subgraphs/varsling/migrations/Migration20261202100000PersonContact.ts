import { Migration } from '@mikro-orm/migrations';

/**
 * "Din kontaktinformasjon": the e-mail address and mobile number a person with rights in an
 * enhet registers for that enhet's notices, possibly for some services only (an empty list: all
 * the person may read). Keyed by enhet and person; the identifier is personal data.
 */
export class Migration20261202100000PersonContact extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table person_contact (
        owner_orgnr character(9) not null check (owner_orgnr ~ '^[0-9]{9}$'),
        pid text not null check (pid ~ '^[0-9]{11}$'),
        email text,
        mobile text,
        service_codes text[] not null default '{}',
        updated_at timestamptz not null default now(),
        primary key (owner_orgnr, pid),
        check (email is not null or mobile is not null)
      );
    `);
  }
}
