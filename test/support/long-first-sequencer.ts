import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest, longest first (seconds: their time in the clean-clone CI run
 * on 2 cores that the list was made from; errors.test.ts and lifecycle.test.ts have since
 * become shorter). On a clean clone vitest has no durations
 * cached and starts the largest files first, which put the README test (a small file
 * that runs `npm ci` and a build in a copy) last: a ~40 s tail on one worker while the
 * other sat idle. Started first, the long files overlap the many short ones. A file
 * missing from the list only runs in vitest's own order; a stale entry costs nothing.
 */
export const LONG_FILES: readonly string[] = [
  'test/e2e/readme.test.ts', // 41.6
  'test/e2e/behaviour-tests.test.ts', // 27.7
  'test/e2e/lifecycle.test.ts', // 23.3
  'test/e2e/faults.test.ts', // 22.5
  'test/e2e/pg-state.test.ts', // 17.4
  'test/e2e/plan-apply.test.ts', // 17.3
  'test/server/replicas-kill.test.ts', // 14.9
  'test/e2e/secrets.test.ts', // 14.7
  'test/e2e/install.test.ts', // 11.5
  'test/server/failures.test.ts', // 11.3
  'test/e2e/promotion.test.ts', // 11
  'test/e2e/late-arrival.test.ts', // 10.8
  'test/api/errors.test.ts', // 9.8
  'test/e2e/request-counts.test.ts', // 9.1
];

/** vitest's order (failed, then longest by its cache, else largest), with LONG_FILES first. */
export default class LongFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification): number => {
      const index = LONG_FILES.indexOf(relative(spec.project.config.root, spec.moduleId).split('\\').join('/'));
      return index === -1 ? LONG_FILES.length : index;
    };
    // Array.prototype.sort is stable: the rest keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
