import { Migration } from '@mikro-orm/migrations';

/**
 * A person holding a role carries a person identifier (in production the national identity
 * number, private register data; in the generator and importer's test data a synthetic one), so
 * that a person who logs in can be matched with their roles. Looked up by person and enhet.
 */
export class Migration20261202100000PersonPid extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table rolle add column person_pid text,
        add constraint rolle_person_pid_check check (person_pid ~ '^[0-9]{11}$'),
        add constraint rolle_person_pid_holder_check
          check (person_pid is null or enhet_organisasjonsnummer is null);
      create index rolle_person_pid_idx on rolle (person_pid, organisasjonsnummer)
        where person_pid is not null;
    `);
  }
}
