import { Migration } from '@mikro-orm/migrations';

/** The whole register: every brreg field of enheter, underenheter, roles and varslingsadresser. */
export class Migration20261121010000Register extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create extension if not exists pg_trgm;

      -- Every prefix of a næringskode ("62", "62.0", "62.01", "62.010"), so that a filter on a
      -- code also finds the codes under it with one indexed array lookup.
      create function naeringskode_prefixes(codes text[]) returns text[]
        language sql immutable parallel safe as $$
          select coalesce(array_agg(distinct p), '{}') from unnest(codes) c,
            lateral (select left(c, n) p from generate_series(2, length(c)) n
                     where substr(c, n, 1) <> '.') prefixes
        $$;

      alter table enhet
        add column forretningsadresse jsonb,
        add column postadresse jsonb,
        add column naeringskode1 jsonb,
        add column naeringskode2 jsonb,
        add column naeringskode3 jsonb,
        add column institusjonell_sektorkode jsonb,
        add column antall_ansatte integer,
        add column har_registrert_antall_ansatte boolean,
        add column registreringsdato_enhetsregisteret date,
        add column stiftelsesdato date,
        add column registrert_i_mvaregisteret boolean,
        add column registrert_i_foretaksregisteret boolean,
        add column registrert_i_stiftelsesregisteret boolean,
        add column registrert_i_frivillighetsregisteret boolean,
        add column konkurs boolean,
        add column under_avvikling boolean,
        add column under_tvangsavvikling_eller_tvangsopplosning boolean,
        add column hjemmeside text,
        add column maalform text,
        add column overordnet_enhet_orgnr character(9),
        add column slettedato date,
        add column kommunenummer text
          generated always as (forretningsadresse ->> 'kommunenummer') stored,
        add column postnummer text
          generated always as (forretningsadresse ->> 'postnummer') stored,
        add column naeringskoder text[] generated always as (naeringskode_prefixes(array_remove(
          array[naeringskode1 ->> 'kode', naeringskode2 ->> 'kode', naeringskode3 ->> 'kode'],
          null))) stored;

      create index enhet_navn_trgm_idx on enhet using gin (navn gin_trgm_ops);
      create index enhet_navn_prefix_idx on enhet (lower(navn) text_pattern_ops);
      create index enhet_naeringskoder_idx on enhet using gin (naeringskoder);
      create index enhet_kommunenummer_idx on enhet (kommunenummer, organisasjonsnummer);
      create index enhet_postnummer_idx on enhet (postnummer, organisasjonsnummer);
      create index enhet_overordnet_idx on enhet (overordnet_enhet_orgnr) where overordnet_enhet_orgnr is not null;
      create index enhet_stiftelsesdato_idx on enhet (stiftelsesdato);
      create index enhet_antall_ansatte_idx on enhet (antall_ansatte);

      create table underenhet (
        organisasjonsnummer character(9) primary key check (organisasjonsnummer ~ '^[0-9]{9}$'),
        navn text not null,
        organisasjonsform_kode text not null references organisasjonsform (kode),
        overordnet_enhet_orgnr character(9) not null,
        beliggenhetsadresse jsonb,
        postadresse jsonb,
        naeringskode1 jsonb,
        antall_ansatte integer,
        har_registrert_antall_ansatte boolean,
        registreringsdato_enhetsregisteret date,
        oppstartsdato date,
        nedleggelsesdato date,
        hjemmeside text,
        slettedato date
      );
      create index underenhet_overordnet_idx on underenhet (overordnet_enhet_orgnr, organisasjonsnummer);

      -- One row per role, grouped as brreg groups them. The holder is a person or an enhet.
      create table rolle (
        id bigint generated always as identity primary key,
        organisasjonsnummer character(9) not null,
        rollegruppe_kode text not null,
        rollegruppe_beskrivelse text not null,
        rollegruppe_sist_endret date,
        type_kode text not null,
        type_beskrivelse text not null,
        person_fodselsdato date,
        person_fornavn text,
        person_mellomnavn text,
        person_etternavn text,
        person_er_doed boolean,
        enhet_organisasjonsnummer character(9),
        enhet_navn text,
        enhet_organisasjonsform_kode text,
        enhet_er_slettet boolean,
        fratraadt boolean not null default false,
        rekkefolge integer,
        check ((person_etternavn is null) <> (enhet_organisasjonsnummer is null))
      );
      create index rolle_enhet_idx on rolle (organisasjonsnummer);
      create index rolle_innehaver_idx on rolle (enhet_organisasjonsnummer, type_kode, organisasjonsnummer)
        where enhet_organisasjonsnummer is not null and not fratraadt;

      -- Not public: only for the duty to notify and for case handling.
      create table varslingsadresse (
        organisasjonsnummer character(9) not null,
        kanal text not null check (kanal in ('EPOST', 'MOBIL')),
        adresse text not null,
        primary key (organisasjonsnummer, kanal, adresse)
      );

      -- Where each update feed has got to, so that a feed is applied once.
      create table oppdatering_posisjon (
        feed text primary key,
        siste_oppdateringsid bigint not null
      );
    `);
  }
}
