import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AUTOCANNON } from './load.js';

const PEERS = 'bench/peers';
const INSTALLED = [
  `${PEERS}/node_modules/@graphql-hive/gateway/package.json`,
  `${PEERS}/node_modules/@graphql-hive/router-runtime/package.json`,
  AUTOCANNON,
];

/**
 * Installs Hive Gateway (with its router runtime) and autocannon into bench/peers (its own package.json and lock file, kept
 * out of the project's dependencies) when they are not there yet.
 */
export function ensurePeers(root: string): void {
  if (INSTALLED.every((file) => existsSync(path.join(root, file)))) return;
  const locked = existsSync(path.join(root, PEERS, 'package-lock.json'));
  const args = [locked ? 'ci' : 'install', '--prefix', PEERS, '--no-audit', '--no-fund'];
  console.log(`installing the bench's peers: npm ${args.join(' ')}`);
  const r = spawnSync('npm', args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.status ?? r.signal})`);
}

/** The installed version of a package, from `dir`'s node_modules. */
export function versionOf(root: string, dir: string, name: string): string {
  try {
    const file = path.join(root, dir, 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}
