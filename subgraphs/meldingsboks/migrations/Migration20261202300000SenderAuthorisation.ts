import { Migration } from '@mikro-orm/migrations';

/**
 * Who may send for whom: each approved sender's agreement kind (the DPV terms or a
 * Samarbeidsavtale), and the authorisations a body gives a technical sender to send on its
 * behalf. Authorisations are never deleted: a revocation stamps the row, a new grant is a new
 * row, so the table is the audit trail.
 */
export class Migration20261202300000SenderAuthorisation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table approved_sender add column agreement text not null default 'DPV_TERMS'
        check (agreement in ('DPV_TERMS', 'SAMARBEIDSAVTALE'));

      create table sender_authorisation (
        id uuid primary key default gen_random_uuid(),
        principal_orgnr character(9) not null check (principal_orgnr ~ '^[0-9]{9}$'),
        technical_orgnr character(9) not null check (technical_orgnr ~ '^[0-9]{9}$'),
        granted_at timestamptz not null default now(),
        granted_by text not null,
        granted_by_org character(9),
        revoked_at timestamptz,
        revoked_by text,
        check (principal_orgnr <> technical_orgnr)
      );
      create unique index sender_authorisation_active_idx
        on sender_authorisation (principal_orgnr, technical_orgnr) where revoked_at is null;
      create index sender_authorisation_technical_idx
        on sender_authorisation (technical_orgnr) where revoked_at is null;
    `);
  }
}
