import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * `npm run test:browser`: the tests under test/browser/, which drive Debian's chromium
 * (/usr/bin/chromium) with playwright-core. Kept out of `npm test`, which needs only Node and npm.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/browser/**/*.test.ts'],
    exclude: [],
    // One browser at a time: each file launches its own.
    fileParallelism: false,
  },
});
