/** Files a command writes its report to: never over something that is not such a report. */
import { overwriteProblem } from '../overwrite-guard.js';

/** Why `path` must not be overwritten with a JUnit report, or null (absent, or a JUnit report already). */
export function junitTargetProblem(path: string): Promise<string | null> {
  return overwriteProblem(path, { what: 'a JUnit report', recognizes: (head) => head.startsWith('<?xml') && head.includes('<testsuites'), headBytes: 256 });
}
