import { defineConfig } from 'vitest/config';

/**
 * `npm run test:browser`: the console's tests in Debian's Chromium (playwright-core), against a
 * real sandbox started in-process. One file at a time: a browser and a paced sandbox are enough
 * load for a two-core machine.
 */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
