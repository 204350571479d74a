import type { Reporter, TestModule } from 'vitest/node';
import { leftPgSchemas } from './postgres-setup.js';
import { leftInTempRoot } from './temp-guard.js';

/**
 * Prints the plain closing line CI counts: `N passed, N failed`.
 * A module that failed outside its tests (an import, a beforeAll) counts as one failure
 * when none of its tests did, so a broken set-up cannot go green (its tests only show as
 * skipped);
 * so does anything the tests left in the temp directory (see temp-guard.ts), and a
 * PostgreSQL schema a test made and did not drop (see postgres-setup.ts).
 */
export default class SummaryReporter implements Reporter {
  async onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): Promise<void> {
    let passed = 0;
    let failed = unhandledErrors.length;
    for (const mod of testModules) {
      let failedCases = 0;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failedCases++;
      }
      failed += failedCases;
      if (failedCases === 0 && mod.state() === 'failed') failed++;
    }
    const left = leftInTempRoot();
    if (left.length > 0) {
      failed++;
      process.exitCode = 1;
      process.stdout.write(`\nFAIL the tests left ${left.length} item(s) in the temp directory: ${left.slice(0, 10).join(', ')}\n`);
    }
    const schemas = await leftPgSchemas();
    if (schemas.length > 0) {
      failed++;
      process.exitCode = 1;
      process.stdout.write(`\nFAIL the tests left ${schemas.length} PostgreSQL schema(s): ${schemas.slice(0, 10).join(', ')}\n`);
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
  }
}
