import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LoaderResult, LoaderSpec } from './loader.js';
import { launch } from './processes.js';

export interface DriveOptions extends LoaderSpec {
  /** Project root (the loader runs from dist/ there). */
  root: string;
  /** Where the loader's spec file is written. */
  dataDir: string;
  /** taskset CPU of the loader, when pinning. */
  cpu: number | undefined;
}

/** Runs bench/gateway/loader.ts in a process of its own (pinned like the rest) and reads its figures. */
export async function drive(o: DriveOptions): Promise<LoaderResult> {
  const { root, dataDir, cpu, ...spec } = o;
  const file = path.join(dataDir, 'loader.spec.json');
  await writeFile(file, JSON.stringify(spec));
  const p = launch({ command: ['node', 'dist/bench/gateway/loader.js', file], cwd: root, cpu });
  let stdout = '';
  p.child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  const how = await p.exited;
  try {
    return JSON.parse(stdout.slice(stdout.lastIndexOf('{'))) as LoaderResult;
  } catch {
    throw new Error(`the loader (${how}) printed no result:\n${p.output.toString()}`);
  }
}
