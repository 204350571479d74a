/** Scoring against thresholds, and the text, Markdown and JUnit forms of one report. */
import { describe, expect, it } from 'vitest';
import { renderJunit } from '../../src/conversation-tests/render-junit.js';
import { renderMarkdown } from '../../src/conversation-tests/render-markdown.js';
import { createTextReporter, renderText } from '../../src/conversation-tests/render-text.js';
import type { TestEntry, TestReport } from '../../src/conversation-tests/report.js';
import { scoreOf } from '../../src/conversation-tests/runner.js';
import type { AssertionDefinition, TestDefinition } from '../../src/manifest/test-types.js';

const source = { file: 'a.test.yaml', line: 1, column: 1 };
const assertion = (weight: number): AssertionDefinition => ({ check: { type: 'contains', text: 'x' }, negated: false, weight, source });
const result = (passed: boolean, weight: number) => ({ type: 'contains' as const, negated: false, weight, passed, expected: '', got: '', message: passed ? null : 'no' });

function entry(name: string, outcome: TestEntry['outcome'], failures: string[] = [], file = 'a.test.yaml'): TestEntry {
  return { name, description: null, file, line: 3, column: 3, assistant: 'support', assistantId: 'asst_1', outcome, score: outcome === 'passed' ? 1 : 0, threshold: 1, durationMs: 1500, failures, repetitions: [] };
}

const report: TestReport = {
  formatVersion: 1,
  toolVersion: '0.1.0',
  project: 'shop',
  environment: 'staging',
  ephemeral: null,
  endpoint: 'local',
  startedAt: '2026-01-02T03:04:05.678Z',
  durationMs: 2500,
  outcome: 'failed',
  summary: { passed: 2, failed: 1, skipped: 0 },
  tests: [
    entry('order-status', 'passed'),
    entry('refunds', 'failed', ['turn 1: contains: expected a reply containing "refund", got "<b>```Hi```</b> & bye"']),
    entry('greeting', 'passed', [], 'assistants.yaml'),
  ],
  threads: { created: 3, deleted: 3, notDeleted: [], unconfirmed: 0 },
};

describe('scoring', () => {
  const definition: TestDefinition = { name: 't', description: null, assistant: 'a', threshold: 0.8, source, turns: [{ user: 'u', files: [], run: {}, toolOutputs: { kind: 'in-order', outputs: [] }, assertions: [assertion(1), assertion(3)] }] };
  it('weighs assertions, scores a repetition that stopped early 0, and a test without weights by repetitions', () => {
    expect(scoreOf(definition, [{ failure: null, turns: [{ observation: null, failure: null, assertions: [result(true, 1), result(false, 3)] }] }])).toBe(0.25);
    const fine = { failure: null, turns: [{ observation: null, failure: null, assertions: [result(true, 1), result(true, 3)] }] };
    expect(scoreOf(definition, [fine, fine, fine, fine, { failure: 'turn 1: failed', turns: [] }])).toBe(0.8);
    const unweighted = { ...definition, turns: [{ ...definition.turns[0]!, assertions: [] }] };
    expect(scoreOf(unweighted, [{ failure: null, turns: [] }, { failure: 'x', turns: [] }])).toBe(0.5);
  });
});

describe('rendering', () => {
  it('prints text as terraform test does, in declaration order whatever order tests finish in', () => {
    let text = '';
    const reporter = createTextReporter((chunk) => (text += chunk), report.tests.map((t) => t.file));
    reporter.test(report.tests[1]!, 1);
    expect(text).toBe('');
    reporter.test(report.tests[0]!, 0);
    reporter.finish(report);
    expect(text).toBe(renderText(report));
    expect(text).toMatchInlineSnapshot(`
      "a.test.yaml... in progress
        run "order-status"... pass
        run "refunds"... fail
          turn 1: contains: expected a reply containing "refund", got "<b>\`\`\`Hi\`\`\`</b> & bye"
      a.test.yaml... fail
      assistants.yaml... in progress
        run "greeting"... pass
      assistants.yaml... pass

      Failure! 2 passed, 1 failed.
      "
    `);
  });

  it('puts failures in Markdown in a fence no reply can close', () => {
    const markdown = renderMarkdown(report);
    expect(markdown).toContain('| ❌ | `refunds` | `support` | 0.00 / 1 | 1.5 s |');
    expect(markdown).toContain('````text\nturn 1: contains: expected a reply containing "refund", got "<b>```Hi```</b> & bye"\n````');
  });

  it('escapes JUnit text and counts per file', () => {
    const xml = renderJunit(report);
    expect(xml).toContain('<testsuite name="a.test.yaml" tests="2" failures="1" errors="0" skipped="0" time="3.000" timestamp="2026-01-02T03:04:05">');
    expect(xml).toContain('message="turn 1: contains: expected a reply containing &quot;refund&quot;, got &quot;&lt;b&gt;```Hi```&lt;/b&gt; &amp; bye&quot;"');
    expect(renderJunit({ ...report, tests: [entry('nul\u0000', 'skipped')] })).toContain('<testcase name="nul\uFFFD" classname="shop.staging.support" time="1.500">\n      <skipped/>');
  });
});
