/**
 * Runs behaviour tests: every test `repeat` times, `parallelism` conversations at once,
 * all their requests paced together; scores each test against its threshold and reports
 * each one as soon as its last repetition ends.
 */
import { relative, sep } from 'node:path';
import { Pacer } from '../api/paced-retry.js';
import type { TestDefinition } from '../manifest/test-types.js';
import { runConversation, ThreadLedger, type ConversationResult, type ConversationSettings, type ConversationTarget } from './conversation.js';
import { REPLY_CHARS, type RepetitionEntry, type TestEntry, type TestOutcome, type ThreadsReport, type TurnEntry } from './report.js';

export interface RunTestsOptions {
  tests: readonly TestDefinition[];
  /** Assistant key -> what the conversation talks to. */
  targets: ReadonlyMap<string, ConversationTarget>;
  repeat: number;
  parallelism: number;
  /** Test file paths in the report are relative to it. */
  manifestDir: string;
  conversation: Omit<ConversationSettings, 'pacer' | 'threads'>;
  /** Called once per test, as soon as all its repetitions ended (any order). */
  onTest?: (entry: TestEntry, index: number) => void;
}

export interface TestsOutcome {
  entries: TestEntry[];
  threads: ThreadsReport;
  interrupted: boolean;
}

/** A test's file as reports name it: relative to the manifest's folder, with `/` separators. */
export function reportedFile(manifestDir: string, path: string): string {
  return relative(manifestDir, path).split(sep).join('/');
}

/** Scores within this of the threshold pass: 4 of 5 is 0.8, even in floating point. */
const EPSILON = 1e-9;

export async function runTests(options: RunTestsOptions): Promise<TestsOutcome> {
  const threads = new ThreadLedger();
  const settings: ConversationSettings = { ...options.conversation, pacer: new Pacer(), threads };
  const results = options.tests.map(() => new Array<ConversationResult | null>(options.repeat).fill(null));
  const durations = options.tests.map(() => 0);
  const left = options.tests.map(() => options.repeat);
  const entries: Array<TestEntry | undefined> = [];
  const finish = (index: number): void => {
    const entry = testEntry(options.tests[index]!, results[index]!, durations[index]!, options);
    entries[index] = entry;
    options.onTest?.(entry, index);
  };

  // Test by test, so the first tests are reported while the last ones still run.
  const jobs = options.tests.flatMap((_, test) => Array.from({ length: options.repeat }, (__, repetition) => ({ test, repetition })));
  let next = 0;
  const stopped = (): boolean => settings.shouldStop() || settings.signal?.aborted === true;
  const worker = async (): Promise<void> => {
    while (next < jobs.length && !stopped()) {
      const { test, repetition } = jobs[next++]!;
      const definition = options.tests[test]!;
      const target = options.targets.get(definition.assistant);
      const started = performance.now();
      results[test]![repetition] =
        target === undefined
          ? { turns: [], failure: `assistant "${definition.assistant}" is not deployed`, interrupted: false }
          : await runConversation(definition, target, settings);
      durations[test]! += performance.now() - started;
      if (--left[test]! === 0) finish(test);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.parallelism, jobs.length)) }, worker));
  // Tests stopped before all their repetitions ran are reported as they stand.
  for (const [index, remaining] of left.entries()) if (remaining > 0) finish(index);
  return {
    entries: entries as TestEntry[],
    threads: {
      created: threads.created.size,
      deleted: threads.deleted.size,
      notDeleted: [...threads.notDeleted].map(([id, reason]) => ({ id, reason })),
      unconfirmed: threads.unconfirmed,
    },
    interrupted: stopped() || results.some((reps) => reps.some((rep) => rep?.interrupted === true)),
  };
}

/**
 * A test's score: the weighted share of its assertions that passed, over every repetition.
 * A repetition that stopped early (a run that did not complete, an API error) scores 0. A
 * test without weighted assertions scores the share of repetitions that went through.
 */
export function scoreOf(test: TestDefinition, repetitions: ReadonlyArray<Pick<ConversationResult, 'turns' | 'failure'>>): number {
  const weightPerRepetition = test.turns.reduce((sum, turn) => sum + turn.assertions.reduce((w, a) => w + a.weight, 0), 0);
  if (repetitions.length === 0) return 0;
  if (weightPerRepetition === 0) return repetitions.filter((rep) => rep.failure === null).length / repetitions.length;
  let passed = 0;
  for (const rep of repetitions) {
    if (rep.failure !== null) continue;
    for (const turn of rep.turns) for (const assertion of turn.assertions) if (assertion.passed) passed += assertion.weight;
  }
  return passed / (weightPerRepetition * repetitions.length);
}

function testEntry(test: TestDefinition, results: ReadonlyArray<ConversationResult | null>, durationMs: number, options: RunTestsOptions): TestEntry {
  const ran = results.filter((result): result is ConversationResult => result !== null && !result.interrupted);
  const complete = ran.length === results.length;
  const score = scoreOf(test, ran);
  const outcome: TestOutcome = !complete ? 'skipped' : score + EPSILON >= test.threshold ? 'passed' : 'failed';
  const repetitions = results.map((result) => repetitionEntry(test, result, options.conversation.scrub));
  const failures = repetitions.flatMap((rep, index) => {
    const prefix = results.length > 1 ? `repetition ${index + 1}: ` : '';
    const lines = rep.turns.flatMap((turn, turnIndex) =>
      turn.assertions.filter((a) => !a.passed && a.weight > 0).map((a) => `${prefix}turn ${turnIndex + 1}: ${a.message ?? ''}`),
    );
    return rep.failure === null ? lines : [...lines, `${prefix}${rep.failure}`];
  });
  return {
    name: test.name,
    description: test.description,
    file: reportedFile(options.manifestDir, test.source.file),
    line: test.source.line,
    column: test.source.column,
    assistant: test.assistant,
    assistantId: options.targets.get(test.assistant)?.assistantId ?? '',
    outcome,
    score: Math.round(score * 1e6) / 1e6,
    threshold: test.threshold,
    durationMs: Math.round(durationMs),
    failures,
    repetitions,
  };
}

/** A repetition as reported: what the assistant said and did, sensitive values hidden. */
function repetitionEntry(test: TestDefinition, result: ConversationResult | null, scrub: (text: string) => string): RepetitionEntry {
  if (result === null) return { outcome: 'skipped', failure: null, turns: [] };
  const turns: TurnEntry[] = result.turns.map((turn, index) => ({
    user: test.turns[index]?.user ?? '',
    status: turn.observation?.status ?? null,
    reply: turn.observation === null ? null : scrub(turn.observation.reply).slice(0, REPLY_CHARS),
    calls: (turn.observation?.calls ?? []).map((call) => ({ name: call.name, arguments: scrub(call.arguments) })),
    citations: (turn.observation?.citations ?? []).map((c) => ({ fileId: c.fileId, quote: scrub(c.quote), text: scrub(c.text) })),
    usage: turn.observation?.usage ?? null,
    latencyMs: turn.observation === null ? null : Math.round(turn.observation.latencyMs),
    assertions: turn.assertions,
  }));
  const failed = result.failure !== null || result.turns.some((turn) => turn.assertions.some((a) => !a.passed && a.weight > 0));
  return { outcome: result.interrupted ? 'skipped' : failed ? 'failed' : 'passed', failure: result.failure, turns };
}
