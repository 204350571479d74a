import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vitest/config';
import LongFirstSequencer from './test/support/long-first-sequencer.js';

/**
 * @actions/workflow-parser (GitHub's workflow parser, which the recipe tests run) imports
 * its schema JSON without an import attribute, as a bundler allows: vitest bundles it
 * (server.deps.inline), and this drops the source-map comments whose sources the
 * package does not ship, which would otherwise warn once per file.
 */
const workflowParserWithoutSourceMaps: Plugin = {
  name: 'workflow-parser-without-source-maps',
  enforce: 'pre',
  load(id) {
    if (!id.includes('/node_modules/@actions/') || !id.endsWith('.js')) return null;
    return readFileSync(id.split('?')[0] ?? id, 'utf8').replace(/^\/\/# sourceMappingURL=.*$/m, '');
  },
};

export default defineConfig({
  plugins: [workflowParserWithoutSourceMaps],
  test: {
    server: { deps: { inline: ['@actions/workflow-parser', '@actions/expressions'] } },
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    // A PostgreSQL server for the pg tests (postgres-setup.ts: a throwaway one keeps its data
    // outside the run's temp root, and is stopped after it); a private temp root per run,
    // checked for leftovers; each file's temp folders removed after it.
    globalSetup: ['./test/support/postgres-setup.ts', './test/support/temp-guard.ts'],
    setupFiles: ['./test/support/remove-temp-dirs.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Forks keep the tests' servers and child processes apart from vitest's own process. The
    // default (cores - 1) is one worker on a 2-core machine; the end-to-end files mostly wait
    // on child processes, so two workers cut the suite from 158 s to 96 s there (three: 106 s).
    pool: 'forks',
    maxWorkers: 2,
    // Each worker is one process that runs file after file, instead of a new process (and a
    // new load of vitest and the sources) per file: about 0.5 s of CPU a file, 62 s of the
    // suite's 429. Modules load once per worker, so a file undoes what it changes in the
    // process (the environment, fake timers, listeners); its temp folders go after it.
    isolate: false,
    // The known-long files start first, so none of them is a tail on one worker.
    sequence: { sequencer: LongFirstSequencer },
  },
});
