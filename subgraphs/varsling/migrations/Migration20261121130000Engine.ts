import { Migration } from '@mikro-orm/migrations';

/**
 * The varslingsstrategi as data: policies with kind, window, reminder, templates, throttle,
 * versions and an audit trail; the engine's record of published messages and its position in
 * meldingsboks' outbox; notification orders, notifications and every send attempt.
 */
export class Migration20261121130000Engine extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create type notification_kind as enum ('VARSEL', 'SERVICEMELDING', 'NONE');
      alter table notification_policy
        add column kind notification_kind not null default 'VARSEL',
        add column double_notice_reason text,
        add column window_days smallint[] not null default '{1,2,3,4,5}',
        add column window_start time not null default '08:00',
        add column window_end time not null default '16:00',
        add column skip_holidays boolean not null default true,
        add column reminder boolean not null default true,
        add column reminder_delay_days integer not null default 7
          check (reminder_delay_days between 1 and 60),
        add column email_subject text not null
          default 'Ny melding fra {avsender} til {mottakerNavn} ({mottakerOrgnr})',
        add column email_body text not null
          default '{mottakerNavn} ({mottakerOrgnr}) har fått en melding fra {avsender} om {tjeneste}. Les den i innboksen i Altinn: {lenke}',
        add column sms_text text not null
          default '{mottakerNavn} ({mottakerOrgnr}) har fått melding fra {avsender} om {tjeneste}. Se {lenke}',
        add column throttle_per_day integer check (throttle_per_day > 0),
        add column active_from timestamptz,
        add column active_to timestamptz,
        add column version integer not null default 1,
        add column retired_at timestamptz,
        add column changed_at timestamptz not null default now(),
        add column changed_by text not null default 'migration';
      drop index notification_policy_scope_idx;
      -- One policy in force per scope; NULLS NOT DISTINCT makes the default scope unique too.
      create unique index notification_policy_scope_idx
        on notification_policy (sender_orgnr, service_code) nulls not distinct
        where retired_at is null;

      create table policy_change (
        id bigserial primary key,
        policy_id uuid not null references notification_policy (id),
        version integer not null,
        action text not null check (action in ('CREATED', 'UPDATED', 'RETIRED')),
        actor text not null,
        at timestamptz not null default now(),
        before jsonb,
        after jsonb
      );
      create index policy_change_policy_idx on policy_change (policy_id, id);

      -- The engine's place in meldingsboks' outbox; advanced in the same transaction as its work.
      create table consumer_position (
        consumer text primary key,
        position bigint not null
      );

      -- What the engine knows of each published message (for reminders and simulations).
      create table message_event (
        message_id uuid primary key,
        recipient_orgnr character(9) not null,
        sender_orgnr character(9) not null,
        service_code text not null,
        title text not null,
        published_at timestamptz not null,
        read_at timestamptz,
        purged_at timestamptz
      );
      create index message_event_published_idx on message_event (published_at);

      create table notification_order (
        id uuid primary key default gen_random_uuid(),
        message_id uuid not null references message_event (message_id),
        recipient_orgnr character(9) not null,
        kind text not null check (kind in ('NOTICE', 'REMINDER', 'SERVICE_MESSAGE')),
        policy_id uuid references notification_policy (id),
        policy_version integer,
        status text not null check (status in
          ('Registered', 'Processing', 'Processed', 'Completed', 'SendConditionNotMet', 'Cancelled')),
        status_reason text,
        planned_at timestamptz not null,
        deferrals jsonb not null default '[]',
        created_at timestamptz not null default now(),
        unique (message_id, kind)
      );
      create index notification_order_recipient_idx on notification_order (recipient_orgnr, created_at);

      create table notification (
        id uuid primary key default gen_random_uuid(),
        order_id uuid not null references notification_order (id),
        channel text not null check (channel in ('EMAIL', 'SMS')),
        address text not null,
        subject text,
        body text not null,
        status text not null check (status in
          ('New', 'Sending', 'Succeeded', 'Delivered', 'Accepted', 'Failed')),
        failure_reason text,
        attempts integer not null default 0,
        next_attempt_at timestamptz not null,
        claimed_until timestamptz,
        sent_at timestamptz,
        provider_id text
      );
      create index notification_order_idx on notification (order_id);
      create index notification_due_idx on notification (next_attempt_at)
        where status in ('New', 'Sending');

      -- Written and committed before every send: a crash leaves a trace, never a silent resend.
      create table notification_attempt (
        id bigserial primary key,
        notification_id uuid not null references notification (id),
        attempt integer not null,
        started_at timestamptz not null default now(),
        finished_at timestamptz,
        outcome text,
        detail text,
        unique (notification_id, attempt)
      );
    `);
  }
}
