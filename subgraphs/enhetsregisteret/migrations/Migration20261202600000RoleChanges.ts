import { Migration } from '@mikro-orm/migrations';

/**
 * A change feed of roles, for services that cache answers about them (meldingsboks' access to
 * inboxes by REGN/REVI and by persons' roles): one row per statement that changed roles, naming
 * the enheter whose roles changed, written by a trigger in the same transaction as the change,
 * whoever writes it (the bulk import, the update feed, a correction by hand). Writers take a
 * transaction-level advisory lock, so rows become visible in position order with no gap, and
 * NOTIFY on commit. Others read it through the view `rolle_endring_v1`.
 */
export class Migration20261202600000RoleChanges extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table rolle_endring (
        position bigint primary key,
        enheter character(9)[] not null,
        at timestamptz not null default now()
      );
      create sequence rolle_endring_position_seq owned by rolle_endring.position;

      create function rolle_endring_record() returns trigger language plpgsql
        set search_path from current as $$
      declare
        changed character(9)[];
      begin
        if tg_op = 'INSERT' then
          select array_agg(distinct organisasjonsnummer) into changed from added;
        elsif tg_op = 'DELETE' then
          select array_agg(distinct organisasjonsnummer) into changed from gone;
        else
          select array_agg(distinct o) into changed from (
            select organisasjonsnummer from added union select organisasjonsnummer from gone
          ) as t(o);
        end if;
        if changed is null then return null; end if;
        -- Positions are taken under the lock and committed before the next writer's: readers
        -- that follow position never skip a row that commits later.
        perform pg_advisory_xact_lock(hashtext('enhetsregisteret.rolle_endring'));
        insert into rolle_endring (position, enheter)
          values (nextval('rolle_endring_position_seq'), changed);
        perform pg_notify('enhetsregisteret_rolle_endring', '');
        return null;
      end $$;

      create trigger rolle_endring_insert after insert on rolle
        referencing new table as added for each statement execute function rolle_endring_record();
      create trigger rolle_endring_update after update on rolle
        referencing new table as added old table as gone
        for each statement execute function rolle_endring_record();
      create trigger rolle_endring_delete after delete on rolle
        referencing old table as gone for each statement execute function rolle_endring_record();

      create view rolle_endring_v1 as select position, enheter::text[] as enheter, at from rolle_endring;
      comment on view rolle_endring_v1 is
        'dpv-graph enhetsregisteret role change feed, version 1: enheter whose roles changed';
    `);
  }
}
