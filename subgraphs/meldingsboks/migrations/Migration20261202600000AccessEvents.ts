import { Migration } from '@mikro-orm/migrations';

/**
 * Grants and their revocations are outbox events too (kind AccessChanged, keyed by the owner's
 * inbox, naming the grantee), so that every instance's live feeds drop their cached access
 * answers in position order with the messages: a revoke stops delivery before the next event.
 * They name no message; the event contract (events_v1) keeps showing message events only.
 */
export class Migration20261202600000AccessEvents extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table outbox alter column message_id drop not null,
        alter column service_code drop not null,
        alter column status drop not null,
        add column grantee text;
      create or replace view events_v1 as
        select position, kind, message_id, recipient_orgnr, sender_orgnr, service_code, title,
               status, at, classification
        from outbox where position is not null and kind in ('Published', 'StatusChanged');
    `);
  }
}
