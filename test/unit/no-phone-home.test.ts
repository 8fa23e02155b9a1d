import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every TypeScript file of the services (not tests or benchmarks, which may load peers). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

describe('the gateway sends nothing off the machine by itself', () => {
  it('does not load @apollo/gateway, which reports usage to Apollo unless told not to', () => {
    const importers = ['gateway', 'platform', 'subgraphs']
      .flatMap(sources)
      .filter((file) => /from '@apollo\/gateway'/.test(readFileSync(file, 'utf8')));
    expect(importers).toEqual([]);
  });
});
