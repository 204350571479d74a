/**
 * A test run as text, the way `terraform test` prints one: each file "in progress", a line
 * per test (`run "name"... pass`), its failures below it, the file's outcome, then
 * `Success! 2 passed, 0 failed.` Printed as tests finish, in the order they are declared.
 */
import type { TestEntry, TestReport } from './report.js';

/** At most this many failure lines per test; the JSON report has them all. */
const SHOWN_FAILURES = 20;

export interface TextReporter {
  /** A finished test; printed once every test before it is. */
  test(entry: TestEntry, index: number): void;
  /** The summary (and anything not printed yet). */
  finish(report: TestReport): void;
}

/** `files[i]` is the file test `i` is written in, as the report will name it. */
export function createTextReporter(write: (text: string) => void, files: readonly string[]): TextReporter {
  const done: Array<TestEntry | undefined> = [];
  let printed = 0;
  const outcomes = new Map<string, string>();
  const flush = (): void => {
    while (printed < files.length && done[printed] !== undefined) {
      const entry = done[printed]!;
      const file = files[printed]!;
      if (printed === 0 || files[printed - 1] !== file) write(`${file}... in progress\n`);
      write(testLines(entry));
      if (entry.outcome === 'failed') outcomes.set(file, 'fail');
      else if (entry.outcome === 'skipped' && !outcomes.has(file)) outcomes.set(file, 'skip');
      if (printed === files.length - 1 || files[printed + 1] !== file) write(`${file}... ${outcomes.get(file) ?? 'pass'}\n`);
      printed++;
    }
  };
  return {
    test(entry, index) {
      done[index] = entry;
      flush();
    },
    finish(report) {
      report.tests.forEach((entry, index) => (done[index] ??= entry));
      flush();
      write(`\n${summaryLine(report)}\n`);
    },
  };
}

/** The whole report at once. */
export function renderText(report: TestReport): string {
  let text = '';
  const reporter = createTextReporter((chunk) => (text += chunk), report.tests.map((entry) => entry.file));
  reporter.finish(report);
  return text;
}

function testLines(entry: TestEntry): string {
  const verdict = entry.outcome === 'passed' ? 'pass' : entry.outcome === 'failed' ? 'fail' : 'skip';
  const repeated = entry.repetitions.length > 1 ? ` (score ${entry.score.toFixed(2)}, threshold ${entry.threshold})` : '';
  const lines = [`  run "${entry.name}"... ${verdict}${entry.outcome === 'passed' ? '' : repeated}`];
  const failures = entry.outcome === 'failed' ? entry.failures : [];
  for (const failure of failures.slice(0, SHOWN_FAILURES)) lines.push(`    ${failure}`);
  if (failures.length > SHOWN_FAILURES) lines.push(`    ... and ${failures.length - SHOWN_FAILURES} more (see --json)`);
  return `${lines.join('\n')}\n`;
}

/** `Success! 2 passed, 0 failed.`; `, N skipped` when some did not run. */
export function summaryLine(report: TestReport): string {
  const { passed, failed, skipped } = report.summary;
  const lead = report.outcome === 'interrupted' ? 'Interrupted!' : failed > 0 ? 'Failure!' : 'Success!';
  return `${lead} ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}.`;
}
