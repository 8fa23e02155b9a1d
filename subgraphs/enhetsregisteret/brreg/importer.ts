import pg from 'pg';
import { jsonArrayElements } from './jsonArray.js';
import {
  DELETE_ROLLER,
  FJERN_ENHET,
  INSERT_ROLLER,
  SLETT_ENHET,
  UPSERT_ENHETER,
  UPSERT_FORMER,
  UPSERT_UNDERENHETER,
} from './sql.js';
import type { BrregOppdatering } from './types.js';
import {
  checkEnhet,
  checkOppdatering,
  checkRoller,
  checkUnderenhet,
  type Problem,
} from './validate.js';

export interface Skipped {
  file: string;
  index: number;
  line: number;
  reason: string;
}

export interface ImportReport {
  imported: number;
  skipped: Skipped[];
  /** With `deferIndexes`: settles when the table's indexes are back. */
  indexes?: Promise<void>;
}

export interface ImportOptions {
  /** Records per statement. @default 5000 */
  batchSize?: number;
  /** Called after every batch with the running count. */
  onProgress?: (imported: number) => void;
  /**
   * After a bulk load, rebuild the indexes in the background on one connection (see
   * `report.indexes`), so that the next file's import runs meanwhile. @default false
   */
  deferIndexes?: boolean;
}

export type Kind = 'enheter' | 'underenheter' | 'roller';

/** Concurrent batch writers; the import command's pool has this many connections. */
export const WRITERS = 2;

const TABLES: Record<Kind, string> = {
  enheter: 'enhet',
  underenheter: 'underenhet',
  roller: 'rolle',
};

/** Each statement with what it reads: the batch, or the distinct forms the batch names. */
const STATEMENTS: Record<Kind, Array<[string, 'records' | 'former']>> = {
  enheter: [
    [UPSERT_FORMER, 'former'],
    [UPSERT_ENHETER, 'records'],
  ],
  underenheter: [
    [UPSERT_FORMER, 'former'],
    [UPSERT_UNDERENHETER, 'records'],
  ],
  roller: [
    [DELETE_ROLLER, 'records'],
    [INSERT_ROLLER, 'records'],
  ],
};
const CHECKS: Record<Kind, (r: unknown) => Problem> = {
  enheter: checkEnhet,
  underenheter: checkUnderenhet,
  roller: checkRoller,
};

interface Parsed {
  record: { organisasjonsnummer: string };
  index: number;
  line: number;
}

/**
 * Streams one bulk file into the register with idempotent upserts, a batch per transaction.
 * Malformed records are skipped and reported with their position; a batch the database refuses
 * is retried record by record so that only the bad record is skipped.
 */
export async function importFile(
  pool: pg.Pool,
  kind: Kind,
  file: string,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const batchSize = options.batchSize ?? 5000;
  const report: ImportReport = { imported: 0, skipped: [] };
  const { bulk, restore: restoreIndexes } = await dropIndexesIfEmpty(pool, TABLES[kind]);
  // Into an empty table there is nothing to replace.
  const statements = STATEMENTS[kind].filter(([sql]) => !(bulk && sql === DELETE_ROLLER));
  // Batches are written on two connections while the next is parsed: every core works.
  const inFlight = new Set<Promise<void>>();
  let batch = new Map<string, Parsed>();
  const write = async (records: Parsed[]) => {
    try {
      await inTransaction(
        pool,
        statements,
        records.map((r) => r.record),
      );
      report.imported += records.length;
    } catch {
      for (const r of records) {
        try {
          await inTransaction(pool, statements, [r.record]);
          report.imported++;
        } catch (err) {
          report.skipped.push({
            file,
            index: r.index,
            line: r.line,
            reason: (err as Error).message,
          });
        }
      }
    }
    options.onProgress?.(report.imported);
  };
  const flush = async () => {
    if (batch.size === 0) return;
    const records = [...batch.values()];
    batch = new Map();
    if (inFlight.size >= WRITERS) await Promise.race(inFlight);
    const done: Promise<void> = write(records).finally(() => inFlight.delete(done));
    inFlight.add(done);
  };
  try {
    for await (const el of jsonArrayElements(file)) {
      let record: unknown;
      try {
        record = JSON.parse(el.text);
      } catch (err) {
        const reason = `malformed JSON: ${(err as Error).message}`;
        report.skipped.push({ file, index: el.index, line: el.line, reason });
        continue;
      }
      const problem = CHECKS[kind](record);
      if (problem) {
        report.skipped.push({ file, index: el.index, line: el.line, reason: problem });
        continue;
      }
      const r = record as { organisasjonsnummer: string };
      // A later record for the same number wins, as it would one batch later.
      batch.delete(r.organisasjonsnummer);
      batch.set(r.organisasjonsnummer, { record: r, index: el.index, line: el.line });
      if (batch.size >= batchSize) await flush();
    }
    await flush();
    await Promise.all(inFlight);
  } catch (err) {
    await restoreIndexes(WRITERS);
    throw err;
  }
  if (options.deferIndexes) report.indexes = restoreIndexes(1);
  else await restoreIndexes(WRITERS);
  report.skipped.sort((a, b) => a.index - b.index);
  return report;
}

/**
 * Loading into an empty table is far faster without its secondary indexes, built once at the
 * end. Returns what puts them back (a no-op when the table had rows).
 */
async function dropIndexesIfEmpty(
  pool: pg.Pool,
  table: string,
): Promise<{ bulk: boolean; restore: (workers: number) => Promise<void> }> {
  const { rows: any } = await pool.query(`select 1 from ${table} limit 1`);
  if (any.length > 0) return { bulk: false, restore: async () => {} };
  const { rows } = await pool.query<{ indexname: string; indexdef: string }>(
    `select i.indexname, i.indexdef from pg_indexes i
     where i.schemaname = current_schema() and i.tablename = $1
       and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
    [table],
  );
  for (const r of rows) await pool.query(`drop index ${r.indexname}`);
  return {
    bulk: true,
    restore: async (workers) => {
      const pending = [...rows];
      const worker = async () => {
        for (let r = pending.shift(); r; r = pending.shift()) await pool.query(r.indexdef);
      };
      await Promise.all(Array.from({ length: workers }, worker));
      await pool.query(`analyze ${table}`);
    },
  };
}

async function inTransaction(
  pool: pg.Pool,
  statements: Array<[string, 'records' | 'former']>,
  records: unknown[],
): Promise<void> {
  const former = new Map<string, unknown>();
  for (const r of records as Array<{ organisasjonsform?: { kode: string } }>) {
    if (r.organisasjonsform) former.set(r.organisasjonsform.kode, r.organisasjonsform);
  }
  const input = { records: JSON.stringify(records), former: JSON.stringify([...former.values()]) };
  const client = await pool.connect();
  try {
    await client.query('begin');
    for (const [sql, reads] of statements) await client.query(sql, [input[reads]]);
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

const FEED = 'enheter';

/**
 * Applies update-feed items in oppdateringsid order, each once: the position reached is stored
 * with the changes it covers, so a rerun or a crash never applies an item twice or skips one.
 */
export async function applyOppdateringer(
  pool: pg.Pool,
  file: string,
  options: ImportOptions = {},
): Promise<ImportReport & { position: number }> {
  const report: ImportReport = { imported: 0, skipped: [] };
  const items: Array<BrregOppdatering & { line: number }> = [];
  for await (const el of jsonArrayElements(file)) {
    let item: unknown;
    try {
      item = JSON.parse(el.text);
    } catch (err) {
      report.skipped.push({
        file,
        index: el.index,
        line: el.line,
        reason: `malformed JSON: ${(err as Error).message}`,
      });
      continue;
    }
    const problem = checkOppdatering(item);
    if (problem) report.skipped.push({ file, index: el.index, line: el.line, reason: problem });
    else items.push({ ...(item as BrregOppdatering), line: el.line });
  }
  items.sort((a, b) => a.oppdateringsid - b.oppdateringsid);
  const { rows } = await pool.query<{ siste_oppdateringsid: string }>(
    'select siste_oppdateringsid from oppdatering_posisjon where feed = $1',
    [FEED],
  );
  let position = Number(rows[0]?.siste_oppdateringsid ?? 0);
  const pending = items.filter((i) => i.oppdateringsid > position);
  const batchSize = options.batchSize ?? 2000;
  for (let from = 0; from < pending.length; from += batchSize) {
    const slice = pending.slice(from, from + batchSize);
    const client = await pool.connect();
    try {
      await client.query('begin');
      for (const item of slice) await applyOne(client, item);
      position = slice.at(-1)!.oppdateringsid;
      await client.query(
        `insert into oppdatering_posisjon (feed, siste_oppdateringsid) values ($1, $2)
         on conflict (feed) do update set siste_oppdateringsid = excluded.siste_oppdateringsid`,
        [FEED, position],
      );
      await client.query('commit');
      report.imported += slice.length;
    } catch (err) {
      await client.query('rollback').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
    options.onProgress?.(report.imported);
  }
  return { ...report, position };
}

async function applyOne(client: pg.PoolClient, item: BrregOppdatering): Promise<void> {
  switch (item.endringstype) {
    case 'Ny':
    case 'Endring': {
      await client.query(UPSERT_FORMER, [JSON.stringify([item.enhet!.organisasjonsform])]);
      await client.query(UPSERT_ENHETER, [JSON.stringify([item.enhet])]);
      return;
    }
    case 'Sletting':
      await client.query(SLETT_ENHET, [item.organisasjonsnummer, item.dato.slice(0, 10)]);
      return;
    case 'Fjernet':
      await client.query(FJERN_ENHET, [item.organisasjonsnummer]);
      return;
    case 'Ukjent':
      return;
  }
}

/**
 * The connections an import writes with: on the register's schema, one per writer. A crash
 * loses at most the last commits, which a rerun of the idempotent import writes again, so
 * commits need not wait for the disk; index builds get memory to sort in.
 */
export function importPool(databaseUrl: string, schema = 'enhetsregisteret'): pg.Pool {
  return new pg.Pool({
    connectionString: databaseUrl,
    options: `-c search_path=${schema},public -c synchronous_commit=off -c maintenance_work_mem=256MB`,
    // One more than the writers: a deferred index build runs beside the next file's import.
    max: WRITERS + 1,
  });
}
