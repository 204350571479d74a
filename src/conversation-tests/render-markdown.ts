/**
 * A test run as Markdown for a pull-request comment: a headline with the counts, a table
 * of the tests, and each failing test's failures in a code block (so nothing a reply says
 * can break out of it as Markdown or HTML).
 */
import type { TestEntry, TestReport } from './report.js';
import { summaryLine } from './render-text.js';

/** Failure lines shown per test; the JSON report has them all. */
const SHOWN_FAILURES = 20;
/** Characters of one failure line shown. */
const LINE_CHARS = 500;

export function renderMarkdown(report: TestReport): string {
  const icon = (outcome: TestEntry['outcome']): string => (outcome === 'passed' ? '✅' : outcome === 'failed' ? '❌' : '⏭️');
  const where = report.ephemeral === null ? `\`${report.environment}\`` : `\`${report.environment}\` (ephemeral \`${report.ephemeral}\`)`;
  const lines = [
    `### ${report.outcome === 'passed' ? '✅' : report.outcome === 'failed' ? '❌' : '⏹️'} Behaviour tests of \`${code(report.project)}\` in ${where}`,
    '',
    `**${summaryLine(report)}** ${(report.durationMs / 1000).toFixed(1)} s against \`${code(report.endpoint)}\`.`,
    '',
    '| | test | assistant | score | time |',
    '| --- | --- | --- | --- | --- |',
    ...report.tests.map(
      (entry) =>
        `| ${icon(entry.outcome)} | \`${code(entry.name)}\` | \`${code(entry.assistant)}\` | ${entry.score.toFixed(2)} / ${entry.threshold} | ${(entry.durationMs / 1000).toFixed(1)} s |`,
    ),
  ];
  for (const entry of report.tests.filter((e) => e.outcome === 'failed')) {
    const shown = entry.failures.slice(0, SHOWN_FAILURES).map((line) => (line.length > LINE_CHARS ? `${line.slice(0, LINE_CHARS)}...` : line));
    if (entry.failures.length > SHOWN_FAILURES) shown.push(`... and ${entry.failures.length - SHOWN_FAILURES} more`);
    lines.push('', `<details><summary><code>${html(entry.name)}</code> failed (${html(entry.file)}:${entry.line})</summary>`, '', ...fenced(shown), '', '</details>');
  }
  const { notDeleted, unconfirmed } = report.threads;
  if (notDeleted.length > 0 || unconfirmed > 0) {
    lines.push('', `> ⚠️ ${threadsWarning(report)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** What to tell a user about threads left on the server, or '' when none were. */
export function threadsWarning(report: TestReport): string {
  const { notDeleted, unconfirmed } = report.threads;
  const parts: string[] = [];
  if (notDeleted.length > 0) parts.push(`${notDeleted.length} thread(s) could not be deleted (${notDeleted.slice(0, 5).map((t) => t.id).join(', ')}${notDeleted.length > 5 ? ', ...' : ''})`);
  if (unconfirmed > 0) parts.push(`${unconfirmed} thread creation(s) failed in a way that may have made a thread anyway (a timeout, a dropped connection, a 5xx), and such a thread cannot be found: the v1 API lists no threads`);
  return parts.join('; ');
}

/** A code block whose fence is longer than any run of backticks inside it. */
function fenced(lines: readonly string[]): string[] {
  const longest = Math.max(2, ...lines.map((line) => Math.max(0, ...[...line.matchAll(/`+/g)].map((m) => m[0].length))));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}text`, ...lines, fence];
}

/** Inside a `code span` in a table cell: no backticks or pipes to end it early. */
function code(text: string): string {
  return text.replaceAll('`', "'").replaceAll('|', '\\|');
}

function html(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
