import pg from 'pg';

export interface LoadOptions {
  messages: number;
  inboxes: number;
  /** Rows per statement (one transaction each). @default 500000 */
  chunk?: number;
  onProgress?: (loaded: number) => void;
}

export interface LoadReport {
  rowsMs: number;
  indexes: Array<{ name: string; ms: number }>;
  vacuumMs: number;
  /** Messages in the largest inbox (the first key), and the table's size on disk. */
  largestInbox: number;
  tableBytes: number;
  indexBytes: number;
}

/** Recipients are made-up 9-digit keys; `inboxKey(0)` holds the most messages. */
export const inboxKey = (i: number) => String(800_000_000 + i);

/** The approved senders of the meldingsboks seed, used in turn. */
const SENDERS = ["'974761076'", "'974760673'", "'958935420'"];
const SENDER_NAMES = ["'SKATTEETATEN'", "'BRØNNØYSUNDREGISTRENE'", "'OSLO KOMMUNE'"];

/**
 * Messages as the publisher leaves them (Published, publish_seq in publishing order, spread over
 * three years), in one set-based statement per chunk. Recipients are skewed like real post: the
 * key is ⌊inboxes·u²⌋ for uniform u, so most inboxes hold a few messages and the first ones
 * thousands. 2 % are confidential (5504/1), the rest spread over 4255/1–10; 30 % are read.
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
    x.at, 'Published', x.at, x.at, nextval('message_publish_seq'),
    case when x.read then x.at + interval '2 days' end, x.at
  from (
    select g,
      (800000000 + floor($3::int * power(random(), 2)))::bigint::text as recipient,
      case when random() < 0.02 then '5504/1'
           else '4255/' || (1 + floor(random() * 10))::int end as service,
      random() < 0.3 as read,
      (array[${SENDERS.join(',')}])[1 + g % 3] as sender,
      (array[${SENDER_NAMES.join(',')}])[1 + g % 3] as sender_name,
      now() - interval '1095 days' * (1 - g::float8 / $4::bigint) as at
    from generate_series($1::bigint, $2::bigint) g
  ) x`;

/**
 * Bulk-loads `messages` published messages into meldingsboks.message (migrated, otherwise as
 * the subgraph leaves it). The secondary indexes that back no constraint are dropped for the
 * load and rebuilt from their own definitions after it (so the benchmark measures whatever the
 * migrations declare); the primary and unique keys stay in place. Then VACUUM ANALYZE, as
 * autovacuum would leave a table that has settled. No status history: reads do not need it.
 */
export async function bulkLoad(url: string, o: LoadOptions): Promise<LoadReport> {
  const client = new pg.Client({
    connectionString: url,
    options:
      '-c search_path=meldingsboks,public -c synchronous_commit=off -c maintenance_work_mem=1GB',
  });
  await client.connect();
  try {
    const { rows: indexes } = await client.query<{ indexname: string; indexdef: string }>(
      `select i.indexname, i.indexdef from pg_indexes i
       where i.schemaname = 'meldingsboks' and i.tablename = 'message'
         and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
    );
    for (const i of indexes)
      await client.query(`drop index ${client.escapeIdentifier(i.indexname)}`);
    // Autovacuum would race the load for the same rows; VACUUM below does its work once.
    await client.query('alter table message set (autovacuum_enabled = false)');
    await client.query('select setseed(0.42)');
    const chunk = o.chunk ?? 500_000;
    const began = performance.now();
    for (let from = 1; from <= o.messages; from += chunk) {
      const to = Math.min(o.messages, from + chunk - 1);
      await client.query(INSERT, [from, to, o.inboxes, o.messages]);
      o.onProgress?.(to);
    }
    const rowsMs = performance.now() - began;
    const built: LoadReport['indexes'] = [];
    for (const i of indexes) {
      const t = performance.now();
      await client.query(i.indexdef);
      built.push({ name: i.indexname, ms: performance.now() - t });
    }
    await client.query('alter table message reset (autovacuum_enabled)');
    const t = performance.now();
    await client.query('vacuum (analyze) message');
    const vacuumMs = performance.now() - t;
    const { rows } = await client.query<{ n: string; heap: string; idx: string }>(
      `select (select count(*) from message where recipient_orgnr = $1) as n,
         pg_table_size('message') as heap, pg_indexes_size('message') as idx`,
      [inboxKey(0)],
    );
    return {
      rowsMs,
      indexes: built,
      vacuumMs,
      largestInbox: Number(rows[0]!.n),
      tableBytes: Number(rows[0]!.heap),
      indexBytes: Number(rows[0]!.idx),
    };
  } finally {
    await client.end();
  }
}
