import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { composeFromCode, schemaFiles } from '../subgraphs/composition.js';

describe('schema/', () => {
  it('holds exactly what the code prints and composes (run `npm run compose` after a change)', async () => {
    const expected = schemaFiles(await composeFromCode());
    const committed = (await readdir('schema')).filter((f) => f.endsWith('.graphql')).sort();
    expect(committed).toEqual(Object.keys(expected).sort());
    for (const [file, content] of Object.entries(expected)) {
      expect(await readFile(`schema/${file}`, 'utf8'), `schema/${file} is stale`).toBe(content);
    }
  });
});
