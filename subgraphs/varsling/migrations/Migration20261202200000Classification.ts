import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 16 §2 and §5: the sender's classification of each message (from meldingsboks' events),
 * when it was archived (handled, like read), the deviation an order was sent with (a mandatory
 * notice on another channel than the policy's), and what a reminder is planned from (the
 * notice's actual sending), so that it can be moved when the notice goes out later than planned.
 */
export class Migration20261202200000Classification extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table message_event
        add column classification text
          check (classification in ('VARSLINGSPLIKT', 'SERVICEMELDING', 'NONE')),
        add column archived_at timestamptz;
      alter table notification_order
        add column deviation text,
        add column reminder_delay_days integer,
        add column sending_window jsonb;
    `);
  }
}
