import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  generateEnheter,
  generateRoller,
  generateUnderenheter,
  writeGzipJsonArray,
  type GenerateOptions,
} from '../enhetsregisteret/brreg/generate.js';

/**
 * Writes synthetic brreg bulk files:
 *   node dist/subgraphs/commands/generateBrreg.js \
 *     --enheter 1100000 --underenheter 600000 --out DIR [--seed 1] [--regnskapsforer-share 0.005]
 * producing DIR/enheter.json.gz, DIR/underenheter.json.gz and DIR/roller.json.gz, with one
 * summary line per file on stderr.
 */
const { values } = parseArgs({
  options: {
    enheter: { type: 'string' },
    underenheter: { type: 'string' },
    out: { type: 'string' },
    seed: { type: 'string', default: '1' },
    'regnskapsforer-share': { type: 'string', default: '0.005' },
  },
});

function usage(message: string): never {
  console.error(`${message}
usage: generateBrreg --enheter N --underenheter N --out DIR [--seed N] [--regnskapsforer-share X]`);
  process.exit(2);
}

function integer(name: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < 0) usage(`--${name} must be an integer`);
  return n;
}

const share = Number(values['regnskapsforer-share']);
if (!(share > 0 && share < 1)) usage('--regnskapsforer-share must be between 0 and 1');
if (!values.out) usage('--out is required');
const out = path.resolve(values.out);
const options: GenerateOptions = {
  enheter: integer('enheter', values.enheter),
  underenheter: integer('underenheter', values.underenheter),
  seed: integer('seed', values.seed),
  regnskapsforerShare: share,
};

await mkdir(out, { recursive: true });
const files: [string, () => Iterable<unknown>][] = [
  ['enheter.json.gz', () => generateEnheter(options)],
  ['underenheter.json.gz', () => generateUnderenheter(options)],
  ['roller.json.gz', () => generateRoller(options)],
];
for (const [name, items] of files) {
  const file = path.join(out, name);
  const started = performance.now();
  const count = await writeGzipJsonArray(file, items());
  const seconds = (performance.now() - started) / 1000;
  const { size } = await stat(file);
  console.error(`${file}: ${count} items, ${(size / 1e6).toFixed(1)} MB, ${seconds.toFixed(1)} s`);
}
