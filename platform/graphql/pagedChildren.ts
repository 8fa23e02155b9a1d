import type { EntityClass } from '@mikro-orm/core';
import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';

export interface ChildPageKey {
  parent: string;
  first: number;
  /** The order key of the last child on the previous page. */
  after: string | number | null;
  /** A variant of the relation (e.g. role types); keys with the same variant share a statement. */
  variant?: readonly string[];
}

export interface ChildPage<T> {
  rows: T[];
  hasNextPage: boolean;
}

export interface ChildRelation<T> {
  entity: EntityClass<T>;
  /** Rows of the relation with a `parent` column. */
  source: (variant: readonly string[]) => Knex.QueryBuilder;
  /** A column unique within a parent that orders the children and keys the cursor. */
  order: { column: string; direction: 'asc' | 'desc' };
}

/**
 * Pages of children for many parents in one statement (a limited scan per parent), ordered by a
 * unique column so that the cursor is stable, plus their counts in one more statement.
 */
export function pagedChildren<T extends object>(em: EntityManager, relation: ChildRelation<T>) {
  const knex = em.getKnex();
  const connection = em.getConnection();
  const { column, direction } = relation.order;

  const pages = new DataLoader<ChildPageKey, ChildPage<T>, string>(
    async (keys) => {
      const groups = new Map<string, ChildPageKey[]>();
      for (const k of keys) {
        const g = JSON.stringify([k.first, k.after, k.variant ?? []]);
        groups.set(g, [...(groups.get(g) ?? []), k]);
      }
      const result = new Map<ChildPageKey, ChildPage<T>>();
      for (const group of groups.values()) {
        const { first, after, variant = [] } = group[0]!;
        const parents = [...new Set(group.map((k) => k.parent))];
        // Per parent, a query of its own that stops after first + 1 rows: planned with the
        // parent's own statistics, a large parent gets an ordered index scan (a window function,
        // or one plan for all parents, would read every child of a large parent).
        const perParent = parents.map((parent) =>
          knex
            .select('s.*')
            .from(relation.source(variant).as('s'))
            .where('s.parent', parent)
            .modify((q) => {
              if (after !== null) q.where(`s.${column}`, direction === 'asc' ? '>' : '<', after);
            })
            .orderBy(`s.${column}`, direction)
            .limit(first + 1),
        );
        const rows: Array<Record<string, unknown>> = await connection.execute(
          knex
            .select('*')
            .from(knex.unionAll(perParent, true).as('u'))
            .orderBy([{ column: 'parent' }, { column, order: direction }]),
        );
        const byParent = new Map<string, Array<Record<string, unknown>>>();
        for (const row of rows) {
          const p = String(row.parent);
          byParent.set(p, [...(byParent.get(p) ?? []), row]);
        }
        for (const k of group) {
          const mine = byParent.get(k.parent) ?? [];
          result.set(k, {
            rows: mine.slice(0, first).map((row) => em.map(relation.entity, row as never)),
            hasNextPage: mine.length > first,
          });
        }
      }
      return keys.map((k) => result.get(k)!);
    },
    { cacheKeyFn: (k) => JSON.stringify([k.parent, k.first, k.after, k.variant ?? []]) },
  );

  const counts = new DataLoader<{ parent: string; variant?: readonly string[] }, number, string>(
    async (keys) => {
      const variants = new Map<string, string[]>();
      for (const k of keys) {
        const v = JSON.stringify(k.variant ?? []);
        variants.set(v, [...(variants.get(v) ?? []), k.parent]);
      }
      const found = new Map<string, number>();
      for (const [v, parents] of variants) {
        const rows: Array<{ parent: string; n: string }> = await connection.execute(
          knex
            .select('x.parent')
            .count('* as n')
            .from(relation.source(JSON.parse(v) as string[]).as('x'))
            .whereIn('x.parent', [...new Set(parents)])
            .groupBy('x.parent'),
        );
        for (const r of rows) found.set(`${v}|${r.parent}`, Number(r.n));
      }
      return keys.map((k) => found.get(`${JSON.stringify(k.variant ?? [])}|${k.parent}`) ?? 0);
    },
    { cacheKeyFn: (k) => JSON.stringify([k.parent, k.variant ?? []]) },
  );

  return { pages, counts };
}
