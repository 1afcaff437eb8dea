import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The console's browser tests need Chromium: `npm run test:browser` runs them.
    exclude: ['test/browser/**', 'node_modules/**'],
    setupFiles: ['test/setup.ts'],
    // Two cores on CI: files run in forked workers, two at a time.
    pool: 'forks',
    maxWorkers: 2,
    // Timing is asserted in virtual time, never real time: the real-time limit is only a guard
    // against a hang, sized for a whole sandboxed failover on two cores that other work keeps busy
    // (a scenario test takes 5 to 30 s on an idle machine and went past 60 s at a load of 13).
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
