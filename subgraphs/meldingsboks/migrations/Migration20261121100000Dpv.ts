import { Migration } from '@mikro-orm/migrations';

/**
 * DPV post after Altinn 3 correspondence: senders, the full message, an append-only status
 * history, attachments, inbox grants and the outbox. Messages from before are kept as published.
 */
export class Migration20261121100000Dpv extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table approved_sender (
        organisasjonsnummer character(9) primary key check (organisasjonsnummer ~ '^[0-9]{9}$'),
        name text not null check (length(name) between 1 and 256),
        approved_at timestamptz not null default now(),
        approved_by text not null,
        revoked_at timestamptz,
        revoked_by text
      );

      create sequence message_publish_seq;
      alter table message
        add column technical_sender_orgnr character(9) check (technical_sender_orgnr ~ '^[0-9]{9}$'),
        add column senders_reference text check (length(senders_reference) between 1 and 4096),
        add column message_sender text check (length(message_sender) <= 256),
        add column confidential boolean,
        add column language text check (language in ('nb', 'nn', 'en')),
        add column summary text,
        add column body text,
        add column external_references jsonb not null default '[]',
        add column property_list jsonb not null default '[]',
        add column reply_options jsonb not null default '[]',
        add column due_date_time timestamptz,
        add column is_confirmation_needed boolean not null default false,
        add column requested_publish_time timestamptz,
        add column publish_at timestamptz,
        add column status text,
        add column status_changed_at timestamptz,
        add column published_at timestamptz,
        add column publish_seq bigint unique,
        add column fetched_at timestamptz,
        add column read_at timestamptz,
        add column confirmed_at timestamptz;
      update message set
        technical_sender_orgnr = sender_orgnr,
        senders_reference = 'migrated:' || id,
        confidential = service_code = '5504/1',
        language = 'nb',
        body = '',
        publish_at = created_at,
        status = 'Published',
        status_changed_at = created_at,
        published_at = created_at;
      update message m set publish_seq = s.seq
        from (select id, row_number() over (order by created_at, id) as seq from message) s
        where m.id = s.id;
      select setval('message_publish_seq', coalesce((select max(publish_seq) from message), 0) + 1, false);
      alter table message
        alter column technical_sender_orgnr set not null,
        alter column senders_reference set not null,
        alter column confidential set not null,
        alter column language set not null,
        alter column body set not null,
        alter column publish_at set not null,
        alter column status set not null,
        alter column status_changed_at set not null,
        add constraint message_senders_reference_key unique (technical_sender_orgnr, senders_reference);
      drop index message_inbox_idx;
      -- An inbox page: newest published first, purged ones gone.
      create index message_inbox_idx on message (recipient_orgnr, publish_seq desc)
        where publish_seq is not null and status <> 'PurgedByRecipient';
      create index message_unread_idx on message (recipient_orgnr, service_code)
        where publish_seq is not null and read_at is null and status <> 'PurgedByRecipient';
      create index message_scheduled_idx on message (publish_at) where status = 'ReadyForPublish';
      create index message_sender_year_idx on message (sender_orgnr, created_at);

      create table message_status (
        id bigserial primary key,
        message_id uuid not null references message (id),
        status text not null,
        actor_org character(9),
        actor text not null,
        at timestamptz not null default now()
      );
      create index message_status_message_idx on message_status (message_id, id);
      insert into message_status (message_id, status, actor_org, actor, at)
        select id, 'Published', sender_orgnr, 'migration', created_at from message;
      create function refuse_change() returns trigger language plpgsql as $$
        begin raise exception '% is append-only', tg_table_name; end $$;
      create trigger message_status_append_only before update or delete or truncate
        on message_status for each statement execute function refuse_change();

      create table attachment (
        id uuid primary key default gen_random_uuid(),
        message_id uuid not null references message (id),
        position integer not null,
        name text not null,
        content_type text not null,
        size bigint not null check (size >= 0),
        sha256 character(64) not null,
        content bytea,
        unique (message_id, position)
      );

      create table inbox_grant (
        id uuid primary key default gen_random_uuid(),
        owner_orgnr character(9) not null,
        grantee_orgnr character(9) not null,
        kind text not null check (kind in ('ALL_DPV', 'SERVICES', 'CONFIDENTIAL')),
        service_codes text[] not null default '{}',
        via_role text,
        granted_at timestamptz not null default now(),
        granted_by text not null,
        revoked_at timestamptz,
        revoked_by text
      );
      create unique index inbox_grant_active_idx on inbox_grant (owner_orgnr, grantee_orgnr, kind)
        where revoked_at is null;
      create index inbox_grant_grantee_idx on inbox_grant (grantee_orgnr) where revoked_at is null;

      -- Events, in commit order (appends hold an advisory lock until commit).
      create table outbox (
        position bigserial primary key,
        kind text not null,
        message_id uuid not null,
        recipient_orgnr character(9) not null,
        service_code text not null,
        status text not null,
        at timestamptz not null default now()
      );
    `);
  }
}
