import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The README's client recipes are the code of tests: each region between `// recipe:NAME` and
 * `// end:NAME` in test/clients/ appears in the README as a `ts` code block, verbatim (dedented).
 */

const DIR = 'test/clients';
const README = readFileSync('README.md', 'utf8');
const blocks = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!.trimEnd());

function recipes(): { file: string; name: string; code: string }[] {
  const found = [];
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.test.ts'))) {
    const text = readFileSync(path.join(DIR, file), 'utf8');
    for (const m of text.matchAll(/\/\/ recipe:([\w-]+)\n([\s\S]*?)\n\s*\/\/ end:\1\n/g)) {
      const lines = m[2]!.split('\n');
      const indent = Math.min(
        ...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length),
      );
      found.push({ file, name: m[1]!, code: lines.map((l) => l.slice(indent)).join('\n') });
    }
  }
  return found;
}

describe('README client recipes', () => {
  it('each recipe in test/clients/ is a code block of the README, verbatim', () => {
    const all = recipes();
    expect(all.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'apollo-client',
        'urql',
        'batch-http-link',
        'persisted-query-link',
        'graphql-ws',
        'apollo-multipart-subscriptions',
        'graphql-sse',
        'apollo-defer',
      ]),
    );
    for (const r of all) expect(blocks, `${r.file}: ${r.name}`).toContain(r.code);
  });
});
