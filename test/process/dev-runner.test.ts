import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, post } from '../harness/graphql.js';

const execFileAsync = promisify(execFile);

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface LogLine {
  level: number;
  msg: string;
  service?: string;
}

interface Started {
  child: ChildProcess;
  url: string;
  messages: string[];
  /** Every JSON log line, in order. */
  lines: LogLine[];
  exited: Promise<number | null>;
}

let dir: string;
let ports: Record<string, number>;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dpv-graph-dev-'));
  ports = {
    PORT: await freePort(),
    ENHETSREGISTERET_PORT: await freePort(),
    MELDINGSBOKS_PORT: await freePort(),
    VARSLING_PORT: await freePort(),
    EMBEDDED_PG_PORT: await freePort(),
  };
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.pid) process.kill(-c.pid, 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** `npm start` as a person runs it, in a process group of its own as a terminal gives it. */
async function npmStart(): Promise<Started> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    EMBEDDED_PG_DIR: path.join(dir, 'pg'),
    AUTH_DEV_KEY_PATH: path.join(dir, 'auth', 'key.json'),
    LOG_LEVEL: 'info',
  };
  delete env.DATABASE_URL;
  // pretest has built dist/; skip prestart's second build.
  const child = spawn('npm', ['start', '--ignore-scripts', '--silent'], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  children.push(child);
  // 'close' comes after stdout is drained, so every log line has been read.
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => resolve(code)),
  );
  const messages: string[] = [];
  const lines: LogLine[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('not ready within 30 s')), 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const entry = JSON.parse(line) as LogLine & { url?: string };
      messages.push(entry.msg);
      lines.push(entry);
      if (entry.msg.startsWith('dpv-graph ready')) {
        clearTimeout(timer);
        resolve(entry.url!);
      }
    });
    void exited.then((code) => reject(new Error(`npm start exited early with ${code}`)));
  });
  return { child, url, messages, lines, exited };
}

const postgresPid = async () =>
  Number((await readFile(path.join(dir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]);

/**
 * A clean stop: no warning or error on the way down, and the order the runner promises: the
 * gateway (its own process) first, PostgreSQL last.
 */
function expectCleanStop(run: Started) {
  const from = run.messages.lastIndexOf('shutting down');
  expect(from).toBeGreaterThan(-1);
  const stopping = run.lines.slice(from);
  expect(stopping.filter((l) => l.level >= 40)).toEqual([]);
  const order = ['gateway stopped', 'subgraphs stopped', 'database stopped'];
  const runner = stopping.filter((l) => l.service === 'dpv-graph').map((l) => l.msg);
  expect(runner.filter((m) => order.includes(m))).toEqual(order);
  // The last two lines are written within a millisecond, and may reach the pipe in either order.
  expect(runner.indexOf('stopped')).toBeGreaterThan(runner.indexOf('subgraphs stopped'));
  // The gateway's own process finished its orderly stop before the runner went on.
  const gatewayOwn = stopping.findIndex((l) => l.service === 'gateway' && l.msg === 'stopped');
  expect(gatewayOwn).toBeGreaterThan(-1);
  expect(gatewayOwn).toBeLessThan(stopping.findIndex((l) => l.msg === 'gateway stopped'));
}

async function expectAllStopped(pgPid: number) {
  expect(alive(pgPid), 'postgres still running').toBe(false);
  for (const port of Object.values(ports)) {
    expect(await canListen(port), `port ${port} still taken`).toBe(true);
  }
}

describe('npm start', () => {
  it('starts embedded Postgres, the subgraphs and the gateway; Ctrl-C stops every one', async () => {
    const run = await npmStart();
    expect(run.url).toBe(`http://127.0.0.1:${ports.PORT}/graphql`);
    expect(run.messages).toContain('initialising embedded PostgreSQL');

    const { stdout: token } = await execFileAsync(
      process.execPath,
      ['dist/subgraphs/commands/token.js', '--org', '310012343', '--scope', 'dpv:read'],
      { env: { ...process.env, AUTH_DEV_KEY_PATH: path.join(dir, 'auth', 'key.json') } },
    );
    const r = await post(
      run.url,
      `{ enhet(organisasjonsnummer: "310012343") { navn inbox { nodes { sender { navn } notificationPolicy { channel } } } } }`,
      {},
      bearer(token.trim()),
    );
    expect(r.errors).toBeUndefined();
    expect(r.data?.enhet.inbox.nodes).toHaveLength(2);

    const pgPid = await postgresPid();
    expect(alive(pgPid)).toBe(true);
    // Ctrl-C: the terminal signals the whole foreground process group.
    process.kill(-run.child.pid!, 'SIGINT');
    await run.exited; // npm's own exit code on SIGINT is npm's business
    expectCleanStop(run);
    await expectAllStopped(pgPid);
  }, 60_000);

  it('keeps the data between runs, and SIGTERM to npm alone also stops everything', async () => {
    const run = await npmStart();
    expect(run.messages).not.toContain('initialising embedded PostgreSQL');
    expect(run.messages).not.toContain('demo data loaded');
    const r = await post(run.url, `{ enhet(organisasjonsnummer: "974761076") { navn } }`);
    expect(r.data?.enhet).toEqual({ navn: 'SKATTEETATEN' });

    const pgPid = await postgresPid();
    run.child.kill('SIGTERM');
    await run.exited;
    expectCleanStop(run);
    // npm returns when its child has exited; give the kernel a moment to reap postgres.
    for (let i = 0; i < 50 && alive(pgPid); i++) await new Promise((r) => setTimeout(r, 100));
    await expectAllStopped(pgPid);
  }, 60_000);
});
