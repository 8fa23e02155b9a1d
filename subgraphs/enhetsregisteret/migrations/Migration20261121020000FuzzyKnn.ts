import { Migration } from '@mikro-orm/migrations';

/**
 * Fuzzy name search orders by trigram distance. A GiST index returns the nearest names first
 * (KNN), so a page costs the same however many names are somewhat alike; GIN cannot order.
 */
export class Migration20261121020000FuzzyKnn extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create index enhet_navn_trgm_gist_idx on enhet using gist (navn gist_trgm_ops);
      drop index enhet_navn_trgm_idx;
    `);
  }
}
