// `npm run build`: compiles to dist/ only when a source file is newer than the last build, and
// one build at a time (two commands started together wait for one build, not race on dist/).
// Plain JavaScript: it runs before there is anything compiled.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const SOURCES = ['platform', 'gateway', 'subgraphs', 'bench'];
const CONFIG = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
const STAMP = 'dist/.build-stamp';
const LOCK = 'dist/.build-lock';
const STALE_LOCK_MS = 120_000;

const force = process.argv.includes('--force');

/** The newest modification time of any source or config file, in ms. */
function newestSource() {
  let newest = 0;
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules') continue;
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(p);
      else if (/\.(ts|mts|json)$/.test(entry.name)) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  // The image copies no bench/ (Dockerfile): a source folder that is not there has nothing newer.
  for (const dir of SOURCES) if (existsSync(dir)) visit(dir);
  for (const file of CONFIG) newest = Math.max(newest, statSync(file).mtimeMs);
  return newest;
}

function builtAt() {
  try {
    return statSync(STAMP).mtimeMs;
  } catch {
    return 0;
  }
}

const upToDate = () => !force && builtAt() >= newestSource();

function acquire() {
  mkdirSync('dist', { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      return;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS) rmSync(LOCK, { recursive: true });
      } catch {
        // gone meanwhile
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
}

if (!upToDate()) {
  acquire();
  try {
    // Another command may have built while this one waited.
    if (!upToDate()) {
      const began = Date.now();
      const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
      const r = spawnSync(
        process.execPath,
        [
          tsc,
          '-p',
          'tsconfig.build.json',
          '--incremental',
          '--tsBuildInfoFile',
          'dist/.tsbuildinfo',
        ],
        { stdio: 'inherit' },
      );
      if (r.status !== 0) process.exit(r.status ?? 1);
      // Stamped with the start: a file changed during the build makes the next one build again.
      writeFileSync(STAMP, '');
      utimesSync(STAMP, began / 1000, began / 1000);
    }
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
