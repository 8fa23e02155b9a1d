import { Migration } from '@mikro-orm/migrations';

/**
 * The events other services read are a versioned contract, not the outbox table: the view
 * `events_v1` (positioned rows only, named columns), and `acknowledge_events_v1`, by which a
 * consumer registers the position it has handled, so that pruning never passes it. Described in
 * schema/events-v1.json; a change to either means a new version beside this one.
 */
export class Migration20261202410000EventContract extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table outbox_consumer (
        name text primary key,
        position bigint not null,
        updated_at timestamptz not null default now()
      );
      create table outbox_retention (
        only_row boolean primary key default true check (only_row),
        pruned_through bigint not null default 0
      );
      insert into outbox_retention default values;

      create view events_v1 as
        select position, kind, message_id, recipient_orgnr, sender_orgnr, service_code, title,
               status, at, classification
        from outbox where position is not null;
      comment on view events_v1 is
        'dpv-graph meldingsboks event contract, version 1 (schema/events-v1.json)';

      -- Called from other schemas: it resolves its own tables by the schema it was made in.
      create function acknowledge_events_v1(consumer text, handled bigint) returns void
        language sql set search_path from current as $$
          insert into outbox_consumer (name, position) values (consumer, handled)
          on conflict (name) do update
            set position = greatest(outbox_consumer.position, excluded.position),
                updated_at = now()
        $$;
    `);
  }
}
