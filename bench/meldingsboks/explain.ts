import pg from 'pg';
import { withClient } from './postgres.js';

export interface ExplainOptions {
  databaseUrl: string;
  /** Sends one GraphQL request to the subgraph (in this process) for `org`. */
  request: (query: string, org: string) => Promise<unknown>;
  /** Inboxes to read, as their own enhet. */
  orgs: string[];
  /** GraphQL documents, by name. */
  queries: Record<string, string>;
}

/**
 * Prints the plan (EXPLAIN ANALYZE, BUFFERS) of every statement the subgraph sends for each
 * query and inbox. The statements are taken from the pg driver while the request runs (MikroORM
 * sends them with their values inlined, so each is complete); nothing else runs meanwhile but the
 * outbox tail and the publisher, whose statements are left out.
 */
export async function explainInbox(o: ExplainOptions): Promise<void> {
  const original = pg.Client.prototype.query;
  let captured: string[] = [];
  const capturing = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0] as string | { text?: string };
    const text = typeof q === 'string' ? q : q?.text;
    if (text) captured.push(text);
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
  for (const org of o.orgs) {
    for (const [name, query] of Object.entries(o.queries)) {
      captured = [];
      pg.Client.prototype.query = capturing as typeof original;
      try {
        await o.request(query, org);
      } finally {
        pg.Client.prototype.query = original;
      }
      const statements = captured.filter(
        (s) => /^\s*select/i.test(s) && !/outbox|for update/i.test(s),
      );
      for (const sql of statements) {
        const plan = await withClient(o.databaseUrl, async (c) => {
          await c.query('set search_path = meldingsboks, public');
          const r = await c.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${sql}`);
          return r.rows.map((row) => row['QUERY PLAN']).join('\n    ');
        });
        console.log(`\n  ${name} for ${org}:\n    ${sql}\n    ${plan}`);
      }
    }
  }
}
