import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    // A private temp root per run, checked for leftovers; each file's temp folders removed after it.
    globalSetup: ['./test/support/temp-guard.ts'],
    setupFiles: ['./test/support/remove-temp-dirs.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Forks keep each file's servers and child processes apart. The default (cores - 1)
    // is one worker on a 2-core machine; the end-to-end files mostly wait on child
    // processes, so two workers cut the suite from 158 s to 96 s there (three: 106 s).
    pool: 'forks',
    maxWorkers: 2,
  },
});
