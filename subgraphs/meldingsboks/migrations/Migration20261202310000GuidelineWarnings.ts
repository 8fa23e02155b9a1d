import { Migration } from '@mikro-orm/migrations';

/** The title guideline warnings a message got when it was sent (for its sender). */
export class Migration20261202310000GuidelineWarnings extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table message add column guideline_warnings jsonb not null default '[]';`);
  }
}
