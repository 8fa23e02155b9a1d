import pg, { escapeIdentifier as q } from 'pg';

export interface LoadOptions {
  messages: number;
  inboxes: number;
  /** Rows per statement (one transaction each). @default 250000 */
  chunk?: number;
  /** Connections that insert, and later build indexes, side by side. @default 2 */
  writers?: number;
  onProgress?: (loaded: number) => void;
}

export interface LoadReport {
  rowsMs: number;
  /** Wall time to put back keys, indexes and foreign keys (`writers` build side by side). */
  rebuildMs: number;
  /** Each of them with its own build time. */
  indexes: Array<{ name: string; ms: number }>;
  vacuumMs: number;
  /** Messages per inbox that has any: median, 99th percentile, most (the first key's). */
  perInbox: { inboxes: number; p50: number; p99: number; max: number };
  tableBytes: number;
  indexBytes: number;
}

/** Recipients are made-up 9-digit keys; `inboxKey(0)` holds the most messages. */
export const inboxKey = (i: number) => String(800_000_000 + i);

/**
 * Messages as the publisher leaves them (Published, publish_seq in publishing order, spread over
 * three years), one set-based statement per chunk. Recipients are skewed like real post: the key
 * is ⌊inboxes·u²⌋ for uniform u, so most inboxes hold a few messages and the first thousands.
 * 2 % are confidential (5504/1), the rest spread over 4255/1–10; 30 % are read. publish_seq is
 * base + g (not nextval per row), so that chunks load side by side in a consistent order.
 */
const INSERT = `
  insert into message (id, title, recipient_orgnr, sender_orgnr, technical_sender_orgnr,
    senders_reference, message_sender, service_code, confidential, language, body, publish_at,
    status, status_changed_at, published_at, publish_seq, read_at, created_at)
  select gen_random_uuid(), x.recipient || ': melding nr. ' || x.g || ' om ' || x.service,
    x.recipient, x.sender, x.sender, 'bench-' || x.g, x.sender_name, x.service,
    x.service = '5504/1', 'nb',
    'Les meldingen i sin helhet i innboksen. Vedtaket gjelder fra datoen over; ' ||
      'frist for klage er tre uker fra du mottok meldingen. Spørsmål? Svar på meldingen.',
    x.at, 'Published', x.at, x.at, $5::bigint + x.g,
    case when x.read then x.at + interval '2 days' end, x.at
  from (
    select g,
      (800000000 + floor($3::int * power(random(), 2)))::bigint::text as recipient,
      case when random() < 0.02 then '5504/1'
           else '4255/' || (1 + floor(random() * 10))::int end as service,
      random() < 0.3 as read,
      (array['974761076', '974760673', '958935420'])[1 + g % 3] as sender,
      (array['SKATTEETATEN', 'BRØNNØYSUNDREGISTRENE', 'OSLO KOMMUNE'])[1 + g % 3] as sender_name,
      now() - interval '1095 days' * (1 - g::float8 / $4::bigint) as at
    from generate_series($1::bigint, $2::bigint) g
  ) x`;

/** What makes an insert slow, with the statements that put it back. */
const STRUCTURE = `
  select 'fk' as kind, c.conname as name, c.conrelid::regclass::text as on_table,
    pg_get_constraintdef(c.oid) as def
  from pg_constraint c where c.confrelid = 'message'::regclass
  union all
  select 'key', c.conname, 'message', pg_get_constraintdef(c.oid)
  from pg_constraint c where c.conrelid = 'message'::regclass and c.contype in ('p', 'u')
  union all
  select 'index', i.indexname, 'message', i.indexdef
  from pg_indexes i
  where i.schemaname = current_schema() and i.tablename = 'message'
    and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`;

interface Part {
  kind: 'fk' | 'key' | 'index';
  name: string;
  on_table: string;
  def: string;
}

/**
 * Bulk-loads `messages` published messages into meldingsboks.message (migrated, otherwise as
 * the subgraph leaves it). Its keys, indexes and the foreign keys that point at it are dropped
 * for the load and rebuilt from their own definitions after it, so the benchmark measures
 * whatever the migrations declare. Then VACUUM ANALYZE, as autovacuum would leave a table that
 * has settled. No status history: reads do not need it.
 */
export async function bulkLoad(url: string, o: LoadOptions): Promise<LoadReport> {
  const writers = o.writers ?? 2;
  const pool = new pg.Pool({
    connectionString: url,
    options: '-c search_path=meldingsboks,public -c maintenance_work_mem=512MB',
    max: writers,
  });
  try {
    const { rows: parts } = await pool.query<Part>(STRUCTURE);
    for (const p of parts.filter((p) => p.kind === 'fk'))
      await pool.query(`alter table ${p.on_table} drop constraint ${q(p.name)}`);
    for (const p of parts.filter((p) => p.kind === 'key'))
      await pool.query(`alter table message drop constraint ${q(p.name)}`);
    for (const p of parts.filter((p) => p.kind === 'index'))
      await pool.query(`drop index ${q(p.name)}`);
    // Autovacuum would race the load for the same rows; VACUUM below does its work once.
    await pool.query('alter table message set (autovacuum_enabled = false)');
    const { rows: seq } = await pool.query<{ base: string }>(
      `select nextval('message_publish_seq') as base`,
    );
    const base = Number(seq[0]!.base);

    const chunk = o.chunk ?? 250_000;
    const chunks: Array<[number, number]> = [];
    for (let from = 1; from <= o.messages; from += chunk)
      chunks.push([from, Math.min(o.messages, from + chunk - 1)]);
    let loaded = 0;
    const began = performance.now();
    await inParallel(writers, chunks, async ([from, to]) => {
      const client = await pool.connect();
      try {
        // A seed of its own per chunk: the same data every run, whichever writer takes it.
        await client.query('select setseed($1)', [from / (o.messages + 1)]);
        await client.query(INSERT, [from, to, o.inboxes, o.messages, base]);
      } finally {
        client.release();
      }
      o.onProgress?.((loaded += to - from + 1));
    });
    const rowsMs = performance.now() - began;
    await pool.query(`select setval('message_publish_seq', $1)`, [base + o.messages]);

    // Keys first (foreign keys need the primary key), then plain indexes, then foreign keys.
    const built: LoadReport['indexes'] = [];
    const rebuilding = performance.now();
    const rebuild = async (p: Part) => {
      const t = performance.now();
      if (p.kind === 'index') await pool.query(p.def);
      else await pool.query(`alter table ${p.on_table} add constraint ${q(p.name)} ${p.def}`);
      built.push({ name: p.name, ms: performance.now() - t });
    };
    await inParallel(
      writers,
      parts.filter((p) => p.kind === 'key'),
      rebuild,
    );
    await inParallel(
      writers,
      parts.filter((p) => p.kind === 'index'),
      rebuild,
    );
    for (const p of parts.filter((p) => p.kind === 'fk')) await rebuild(p);
    const rebuildMs = performance.now() - rebuilding;
    await pool.query('alter table message reset (autovacuum_enabled)');
    const t = performance.now();
    await pool.query('vacuum (analyze) message');
    const vacuumMs = performance.now() - t;
    return { rowsMs, rebuildMs, indexes: built, vacuumMs, ...(await sizes(pool)) };
  } finally {
    await pool.end();
  }
}

async function sizes(pool: pg.Pool) {
  const { rows } = await pool.query<Record<string, string>>(
    `select count(*) as inboxes, percentile_disc(0.5) within group (order by n) as p50,
       percentile_disc(0.99) within group (order by n) as p99, max(n) as max,
       pg_table_size('message') as heap, pg_indexes_size('message') as idx
     from (select count(*) as n from message group by recipient_orgnr) per_inbox`,
  );
  const r = rows[0]!;
  return {
    perInbox: {
      inboxes: Number(r.inboxes),
      p50: Number(r.p50),
      p99: Number(r.p99),
      max: Number(r.max),
    },
    tableBytes: Number(r.heap),
    indexBytes: Number(r.idx),
  };
}

/** Runs `work` over `items` with at most `n` at a time. */
async function inParallel<T>(n: number, items: T[], work: (item: T) => Promise<void>) {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  };
  await Promise.all(Array.from({ length: n }, worker));
}
