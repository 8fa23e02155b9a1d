import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import {
  generateEnheter,
  generateRoller,
  generateUnderenheter,
  writeGzipJsonArray,
  type GenerateOptions,
} from '../../subgraphs/enhetsregisteret/brreg/generate.js';
import { importFile, importPool } from '../../subgraphs/enhetsregisteret/brreg/importer.js';
import type {
  BrregEnhet,
  BrregRoller,
  BrregUnderenhet,
} from '../../subgraphs/enhetsregisteret/brreg/types.js';

export interface GeneratedRegister {
  enheter: BrregEnhet[];
  underenheter: BrregUnderenhet[];
  roller: BrregRoller[];
  dir: string;
}

/** Folders this test file made; removed when its tests are done. */
const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A temporary folder of this test file's, removed after its tests. */
export async function tempDir(prefix = 'dpv-brreg-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Generates a register, writes it in brreg's bulk formats and imports it with the real importer. */
export async function importGenerated(
  databaseUrl: string,
  o: GenerateOptions,
): Promise<GeneratedRegister> {
  const dir = await tempDir();
  const reg = {
    enheter: [...generateEnheter(o)],
    underenheter: [...generateUnderenheter(o)],
    roller: [...generateRoller(o)],
    dir,
  };
  await writeGzipJsonArray(path.join(dir, 'enheter.json.gz'), reg.enheter);
  await writeGzipJsonArray(path.join(dir, 'underenheter.json.gz'), reg.underenheter);
  await writeGzipJsonArray(path.join(dir, 'roller.json.gz'), reg.roller);
  const pool = registerPool(databaseUrl);
  try {
    for (const kind of ['enheter', 'underenheter', 'roller'] as const) {
      const r = await importFile(pool, kind, path.join(dir, `${kind}.json.gz`), { batchSize: 97 });
      if (r.skipped.length) throw new Error(`${kind}: ${JSON.stringify(r.skipped.slice(0, 3))}`);
    }
  } finally {
    await pool.end();
  }
  return reg;
}

/** A pool on the enhetsregisteret schema, as the import command uses. */
export const registerPool = (databaseUrl: string) => importPool(databaseUrl);

/** Writes a JSON array file from raw element texts (to test malformed input). */
export async function writeRawArray(
  dir: string,
  name: string,
  elements: string[],
): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `[\n${elements.join(',\n')}\n]\n`);
  return file;
}
