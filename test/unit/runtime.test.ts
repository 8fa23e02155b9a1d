import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('runtime', () => {
  it('runs on the Node the project pins (the `node` package), whatever Node installed it', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    expect(process.version).toBe(`v${pkg.devDependencies.node}`);
  });

  it('builds the image on the same major version', () => {
    const major = process.versions.node.split('.')[0];
    const froms = readFileSync('Dockerfile', 'utf8').match(/^FROM node:(\d+)/gm) ?? [];
    expect(froms.length).toBeGreaterThan(0);
    for (const from of froms) expect(from).toBe(`FROM node:${major}`);
  });
});
