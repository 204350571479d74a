/**
 * A test run as plain data: what `--json` prints (schemas/test-report.schema.json), and
 * what the text, Markdown and JUnit renderers read, so the forms cannot drift apart. It
 * holds no sensitive value: replies, calls and messages were scrubbed before they got here.
 */
import type { AssertionResult, CallMade, Citation } from './assertions.js';

export const TEST_REPORT_FORMAT_VERSION = 1;

export type TestOutcome = 'passed' | 'failed' | 'skipped';

export interface TestReport {
  formatVersion: typeof TEST_REPORT_FORMAT_VERSION;
  toolVersion: string;
  project: string;
  /** The environment whose manifest values were tested. */
  environment: string;
  /** With --ephemeral: the throwaway environment the tests ran in; else null. */
  ephemeral: string | null;
  /** The API base URL, or `local`. Never a key. */
  endpoint: string;
  startedAt: string;
  durationMs: number;
  /** interrupted: stopped by Ctrl-C before every test ran. */
  outcome: 'passed' | 'failed' | 'interrupted';
  summary: { passed: number; failed: number; skipped: number };
  tests: TestEntry[];
  threads: ThreadsReport;
}

export interface ThreadsReport {
  created: number;
  deleted: number;
  /** Threads that could not be deleted, with why: delete them by hand. */
  notDeleted: Array<{ id: string; reason: string }>;
  /** Thread creations that failed in a way that may have made a thread anyway (timeout, dropped connection, 5xx): it cannot be found, v1 lists no threads. */
  unconfirmed: number;
}

export interface TestEntry {
  name: string;
  description: string | null;
  /** The file the test is written in, relative to the manifest's folder (`/` separators). */
  file: string;
  line: number;
  column: number;
  /** The assistant's manifest key, and the id it had in the environment. */
  assistant: string;
  assistantId: string;
  outcome: TestOutcome;
  /** Weighted share of the assertions that passed, over every repetition (0-1). */
  score: number;
  threshold: number;
  durationMs: number;
  /** One line per failure: `repetition 2: turn 1: contains: expected ..., got ...`. */
  failures: string[];
  repetitions: RepetitionEntry[];
}

export interface RepetitionEntry {
  outcome: TestOutcome;
  /** What stopped the conversation early, or null. */
  failure: string | null;
  turns: TurnEntry[];
}

export interface TurnEntry {
  user: string;
  /** The run's final status; null when the turn got no run to an end. */
  status: string | null;
  /** The reply, cut to REPLY_CHARS characters. */
  reply: string | null;
  calls: CallMade[];
  citations: Citation[];
  usage: { promptTokens: number; completionTokens: number; totalTokens: number } | null;
  latencyMs: number | null;
  assertions: AssertionEntry[];
}

/** One assertion as judged (assertions.ts). */
export type AssertionEntry = AssertionResult;

/** How much of a reply the report keeps. */
export const REPLY_CHARS = 4000;
