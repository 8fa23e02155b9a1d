import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../gateway/auth.js';
import { DEMO_PERSONS } from '../../subgraphs/enhetsregisteret/seed.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { bearer, codes, post } from '../harness/graphql.js';
import { startTestGraph, type TestGraph } from '../harness/graph.js';

const run = promisify(execFile);
let dir: string;
let db: TestDatabase;
let graph: TestGraph;

/** `npm run -s token -- …` without the build step (pretest has built dist/). */
async function token(keyPath: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['dist/subgraphs/commands/token.js', ...args], {
    env: { ...process.env, AUTH_DEV_KEY_PATH: keyPath, AUTH_JWKS_URL: '' },
  });
  return stdout.trim();
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dpv-graph-token-'));
  db = await createTestDatabase();
  graph = await startTestGraph(db.url, {
    auth: await createAuthenticator({ devKeyPath: path.join(dir, 'key.json') }),
  });
});
afterAll(async () => {
  await graph?.close();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

const INBOX = `{ enhet(organisasjonsnummer: "310012343") { inbox { nodes { title } } } }`;

describe('development tokens (npm run -s token)', () => {
  it('prints a token with the flags as claims, which the development gateway accepts', async () => {
    const jwt = await token(
      path.join(dir, 'key.json'),
      '--org',
      '310012343',
      '--scope',
      'dpv:read dpv:send',
      '--sub',
      'kari',
      '--ttl',
      '120',
    );
    const claims = decodeJwt(jwt);
    expect(claims).toMatchObject({ org: '310012343', scope: 'dpv:read dpv:send', sub: 'kari' });
    expect(claims.exp! - claims.iat!).toBe(120);
    const r = await post(graph.gateway.url, INBOX, {}, bearer(jwt));
    expect(r.errors).toBeUndefined();
    expect(r.data?.enhet.inbox.nodes).toHaveLength(2);
  });

  it('is refused when signed by another development key', async () => {
    const jwt = await token(
      path.join(dir, 'other-key.json'),
      '--org',
      '310012343',
      '--scope',
      'dpv:read',
    );
    const r = await post(graph.gateway.url, INBOX, {}, bearer(jwt));
    expect(r.status).toBe(401);
    expect(codes(r)).toEqual(['UNAUTHENTICATED']);
  });

  it('--pid makes a person token: the daglig leder reads the bakery by role, a board member not', async () => {
    const as = (pid: string) =>
      token(path.join(dir, 'key.json'), '--org', '310012343', '--pid', pid, '--scope', 'dpv:read');
    const jwt = await as(DEMO_PERSONS.ola);
    expect(decodeJwt(jwt)).toMatchObject({ org: '310012343', pid: DEMO_PERSONS.ola });
    const r = await post(graph.gateway.url, INBOX, {}, bearer(jwt));
    expect(r.errors).toBeUndefined();
    expect(r.data?.enhet.inbox.nodes).toHaveLength(2);
    const refused = await post(graph.gateway.url, INBOX, {}, bearer(await as(DEMO_PERSONS.per)));
    expect(codes(refused)).toEqual(['FORBIDDEN']);
    await expect(as('12345')).rejects.toThrow(/--pid/);
  });

  it('rejects a bad --ttl', async () => {
    await expect(token(path.join(dir, 'key.json'), '--ttl', 'soon')).rejects.toThrow(/--ttl/);
  });
});
