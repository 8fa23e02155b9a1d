import type { EntityManager } from '@mikro-orm/postgresql';

/** Runs one statement (knex `?` placeholders; an array expands in `in (?)`) in the transaction. */
export type Run = <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

/** Runs `work` in one transaction: everything it writes commits together, or nothing does. */
export function inTransaction<T>(em: EntityManager, work: (run: Run) => Promise<T>): Promise<T> {
  return em.transactional(async (tx) => {
    const connection = tx.getConnection();
    const context = tx.getTransactionContext();
    const run: Run = (sql, params = []) =>
      connection.execute(sql, params as never[], 'all', context) as never;
    return work(run);
  });
}
