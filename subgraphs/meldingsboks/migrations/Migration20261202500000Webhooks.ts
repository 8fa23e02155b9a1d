import { Migration } from '@mikro-orm/migrations';

/**
 * Webhook subscriptions: a back-office system's HTTPS endpoint that receives the events its
 * organisation may see, signed, in position order, at least once. Each subscription is an outbox
 * consumer (`webhook:<id>` in outbox_consumer), so that the pruner keeps what it has not
 * delivered. Attempts and every change by an owner or an admin are kept in rows of their own.
 */
export class Migration20261202500000Webhooks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table webhook (
        id uuid primary key default gen_random_uuid(),
        owner_orgnr character(9) not null,
        url text not null,
        events text[] not null,
        inbox_orgnr character(9),
        secret text not null,
        previous_secret text,
        previous_secret_until timestamptz,
        status text not null default 'ACTIVE' check (status in ('ACTIVE', 'PAUSED')),
        paused_reason text,
        last_error text,
        failures integer not null default 0,
        position bigint not null,
        next_attempt_at timestamptz not null default now(),
        lease_token uuid,
        lease_until timestamptz,
        created_at timestamptz not null default now(),
        created_by text not null,
        delivered_at timestamptz
      );
      create index webhook_owner_idx on webhook (owner_orgnr, created_at);
      create index webhook_due_idx on webhook (next_attempt_at) where status = 'ACTIVE';

      create table webhook_attempt (
        id bigserial primary key,
        webhook_id uuid not null references webhook (id) on delete cascade,
        position bigint not null,
        at timestamptz not null default now(),
        status_code integer,
        error text,
        duration_ms integer not null
      );
      create index webhook_attempt_webhook_idx on webhook_attempt (webhook_id, id);

      create table webhook_audit (
        id bigserial primary key,
        webhook_id uuid not null,
        action text not null,
        actor text not null,
        actor_org character(9),
        detail jsonb,
        at timestamptz not null default now()
      );
      create index webhook_audit_webhook_idx on webhook_audit (webhook_id, id);
    `);
  }
}
