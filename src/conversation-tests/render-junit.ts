/**
 * A test run as JUnit XML, the format GitHub and GitLab test reports read: one
 * <testsuite> per file the tests are written in, one <testcase> per test, a <failure> with
 * every failure line, <skipped/> for a test an interrupt stopped. Valid against Jenkins'
 * junit-4 schema (the test suite checks it).
 */
import type { TestEntry, TestReport } from './report.js';

export function renderJunit(report: TestReport): string {
  const suites = new Map<string, TestEntry[]>();
  for (const entry of report.tests) suites.set(entry.file, [...(suites.get(entry.file) ?? []), entry]);
  const count = (entries: readonly TestEntry[], outcome: TestEntry['outcome']): number => entries.filter((e) => e.outcome === outcome).length;
  const seconds = (ms: number): string => (ms / 1000).toFixed(3);
  const properties = [
    ['project', report.project],
    ['environment', report.environment],
    ['endpoint', report.endpoint],
    ...(report.ephemeral === null ? [] : [['ephemeral', report.ephemeral]]),
  ];
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="assistants test" tests="${report.tests.length}" failures="${report.summary.failed}" errors="0" time="${seconds(report.durationMs)}">`,
  ];
  for (const [file, entries] of suites) {
    const time = entries.reduce((sum, entry) => sum + entry.durationMs, 0);
    lines.push(
      `  <testsuite name="${xml(file)}" tests="${entries.length}" failures="${count(entries, 'failed')}" errors="0" skipped="${count(entries, 'skipped')}" time="${seconds(time)}" timestamp="${xml(report.startedAt.replace(/\.\d+Z$/, ''))}">`,
      '    <properties>',
      ...properties.map(([name, value]) => `      <property name="${xml(name!)}" value="${xml(value!)}"/>`),
      '    </properties>',
    );
    for (const entry of entries) {
      const open = `    <testcase name="${xml(entry.name)}" classname="${xml(`${report.project}.${report.environment}.${entry.assistant}`)}" time="${seconds(entry.durationMs)}"`;
      if (entry.outcome === 'passed') {
        lines.push(`${open}/>`);
      } else if (entry.outcome === 'skipped') {
        lines.push(`${open}>`, '      <skipped/>', '    </testcase>');
      } else {
        const where = `${entry.file}:${entry.line}:${entry.column}: test "${entry.name}" (assistant ${entry.assistant}, ${entry.assistantId}) scored ${entry.score.toFixed(2)}, threshold ${entry.threshold}`;
        lines.push(
          `${open}>`,
          `      <failure type="AssertionFailure" message="${xml(entry.failures[0] ?? 'failed')}">${xml([where, ...entry.failures].join('\n'))}</failure>`,
          '    </testcase>',
        );
      }
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

/** Text for an attribute or element: escaped, and without the characters XML 1.0 cannot hold. */
function xml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll('\n', '&#10;');
}
