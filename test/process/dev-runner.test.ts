import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { post } from '../harness/graphql.js';

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

let dir: string | undefined;
let child: ChildProcess | undefined;
afterAll(async () => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npm start (the dev runner, built by pretest)', () => {
  it('starts embedded Postgres, the subgraphs and the gateway, and Ctrl-C stops every one of them', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dpv-graph-dev-'));
    const ports = {
      PORT: await freePort(),
      ENHETSREGISTERET_PORT: await freePort(),
      MELDINGSBOKS_PORT: await freePort(),
      VARSLING_PORT: await freePort(),
      EMBEDDED_PG_PORT: await freePort(),
    };
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      EMBEDDED_PG_DIR: path.join(dir, 'pg'),
      LOG_LEVEL: 'info',
    };
    delete env.DATABASE_URL;
    child = spawn(process.execPath, ['dist/subgraphs/dev.js'], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) =>
      child!.once('exit', (code) => resolve(code)),
    );

    const ready = await new Promise<{ url: string; startupMs: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('not ready within 30 s')), 30_000);
      createInterface({ input: child!.stdout! }).on('line', (line) => {
        const entry = JSON.parse(line) as { msg: string; url?: string; startupMs?: number };
        if (entry.msg.startsWith('dpv-graph ready')) {
          clearTimeout(timer);
          resolve(entry as { url: string; startupMs: number });
        }
      });
      void exited.then((code) => reject(new Error(`dev runner exited early with ${code}`)));
    });
    expect(ready.url).toBe(`http://127.0.0.1:${ports.PORT}/graphql`);

    const r = await post(
      ready.url,
      `{ enhet(organisasjonsnummer: "310012343") { navn inbox { sender { navn } notificationPolicy { channel } } } }`,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data?.enhet.inbox).toHaveLength(2);

    const postgresPid = Number(
      (await readFile(path.join(dir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0],
    );
    expect(alive(postgresPid)).toBe(true);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(alive(postgresPid)).toBe(false);
    for (const port of Object.values(ports))
      expect(await canListen(port), `port ${port} still taken`).toBe(true);
  }, 60_000);
});
