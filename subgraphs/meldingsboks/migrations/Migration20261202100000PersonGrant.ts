import { Migration } from '@mikro-orm/migrations';

/**
 * Rights an enhet delegates to a person (Altinn's "Post/arkiv", all of it or some services, and
 * confidential post by its own right). Rows are never deleted: granting and withdrawing are
 * recorded with who and when, an audit of every delegation.
 */
export class Migration20261202100000PersonGrant extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table person_grant (
        id uuid primary key default gen_random_uuid(),
        owner_orgnr character(9) not null check (owner_orgnr ~ '^[0-9]{9}$'),
        grantee_pid text not null check (grantee_pid ~ '^[0-9]{11}$'),
        kind text not null check (kind in ('ALL_DPV', 'SERVICES', 'CONFIDENTIAL')),
        service_codes text[] not null default '{}',
        granted_at timestamptz not null default now(),
        granted_by text not null,
        revoked_at timestamptz,
        revoked_by text
      );
      create unique index person_grant_active_idx on person_grant (owner_orgnr, grantee_pid, kind)
        where revoked_at is null;
    `);
  }
}
