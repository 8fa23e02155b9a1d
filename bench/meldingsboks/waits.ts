import pg from 'pg';

/**
 * Samples pg_stat_activity of the database every `everyMs` and, on stop, tells what its other
 * sessions were doing on average: waiting (by wait event), running, or idle inside a
 * transaction (holding whatever it locked while the application thinks).
 */
export async function sampleWaits(
  databaseUrl: string,
  everyMs = 50,
): Promise<{ stop(): Promise<string> }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const totals = new Map<string, number>();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<{ what: string; n: number }>(
        `select case when state = 'idle in transaction' then 'idle in transaction'
                     when wait_event is null then 'running'
                     else wait_event_type || '/' || wait_event end as what, count(*)::int as n
         from pg_stat_activity
         where datname = current_database() and pid <> pg_backend_pid()
           and state in ('active', 'idle in transaction')
         group by 1`,
      );
      samples++;
      for (const r of rows) totals.set(r.what, (totals.get(r.what) ?? 0) + r.n);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      await client.end();
      return [...totals]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([what, n]) => `${what} ${(n / Math.max(1, samples)).toFixed(1)}`)
        .join(', ');
    },
  };
}
