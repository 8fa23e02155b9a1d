import { Migration } from '@mikro-orm/migrations';

/**
 * Rate-limit budgets every gateway instance spends from: one row per caller and window, in the
 * shape rate-limiter-flexible's PostgreSQL store reads and writes (points spent, window end in
 * epoch ms). Expired rows are deleted by the store itself, an hour after they end.
 */
export class Migration20261202000000RateLimits extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table rate_limit_budget (
        key varchar(255) primary key,
        points integer not null default 0,
        expire bigint
      );
      create index rate_limit_budget_expire_idx on rate_limit_budget (expire);
    `);
  }
}
