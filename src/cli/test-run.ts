/**
 * Running the tests against one deployment of the manifest: the environment as deployed,
 * or (--ephemeral) a throwaway copy of it. Shared by test-flow.ts and ephemeral.ts.
 */
import type { Metadata } from '../api/models.js';
import { createConversationApi } from '../conversation-tests/api.js';
import { createTextReporter, type TextReporter } from '../conversation-tests/render-text.js';
import { TEST_REPORT_FORMAT_VERSION, type TestReport } from '../conversation-tests/report.js';
import { reportedFile, runTests } from '../conversation-tests/runner.js';
import { scrubberFor } from '../conversation-tests/sensitive.js';
import { resolveTargets, type TestedAssistant } from '../conversation-tests/targets.js';
import type { DesiredState, TestDefinition } from '../manifest/index.js';
import type { StateFile } from '../state/types.js';
import { TOOL_VERSION } from '../version.js';
import type { CliIo } from './io.js';
import { manifestFolder, type ApiSession } from './session.js';
import type { TestCommandOptions } from './test-flow.js';

/** Failed attempts per request, as apply allows. */
const MAX_ATTEMPTS = 6;
/** A turn (its run and tool rounds) that takes longer is cancelled and fails. */
const TURN_TIMEOUT_MS = 10 * 60_000;
const POLL_INTERVAL_MS = 250;

/** What running the tests against one environment (deployed, or a throwaway copy) needs. */
export interface TestRunContext {
  options: TestCommandOptions;
  io: CliIo;
  session: ApiSession;
  desired: DesiredState;
  tests: TestDefinition[];
  parallelism: number;
  repeat: number;
  /** Names the run: its threads' metadata, the ephemeral environment. */
  runId: string;
  startedAt: Date;
  /** Where progress goes: stdout for the text form, stderr when stdout carries JSON or Markdown. */
  progress: NodeJS.WritableStream;
}

export interface EnvironmentRun {
  report: TestReport;
  reporter: TextReporter;
  tested: Map<string, TestedAssistant>;
  /** Records the results in the environment's state, once they are printed; absent when there is nothing to record. */
  record?: () => Promise<void>;
}

/** What the tests run against: a deployed environment, or the throwaway copy of one. */
export interface Deployment {
  /** Its desired state (for an ephemeral copy, with the throwaway environment's name). */
  desired: DesiredState;
  /** Its state, or null: the assistants are then found by their ownership tags. */
  state: StateFile | null;
  stateLocation: string | null;
  /** The throwaway environment's name, or null. */
  ephemeral: string | null;
}

/** Runs the tests against the assistants of a deployment; the report names the environment whose values were tested. */
export async function testDeployed(context: TestRunContext, deployment: Deployment): Promise<EnvironmentRun> {
  const { io, session, tests } = context;
  const { desired, state, stateLocation, ephemeral } = deployment;
  const files = [...new Set(tests.flatMap((test) => test.turns.flatMap((turn) => [...turn.files, ...turn.assertions.flatMap((a) => (a.check.type === 'cites' ? [a.check.file] : []))])))];
  const targets = await resolveTargets({
    keys: [...new Set(tests.map((test) => test.assistant))],
    files,
    desired,
    state,
    assistants: session.assistants,
    filesApi: session.files,
    stateLocation,
  });
  const manifestDir = manifestFolder(context.options, io);
  const threadMetadata: Metadata = { 'assistants-test': `${desired.project}/${ephemeral ?? desired.environment}/${context.runId}` };
  const reporter = createTextReporter(
    (text) => void context.progress.write(text),
    tests.map((test) => reportedFile(manifestDir, test.source.file)),
  );
  const outcome = await runTests({
    tests,
    targets: targets.conversations,
    repeat: context.repeat,
    parallelism: context.parallelism,
    manifestDir,
    conversation: {
      api: createConversationApi(session.assistants, session.cleanup),
      maxAttempts: MAX_ATTEMPTS,
      signal: io.interrupts.requests,
      shouldStop: () => io.interrupts.stop.aborted,
      threadMetadata,
      turnTimeoutMs: TURN_TIMEOUT_MS,
      pollIntervalMs: POLL_INTERVAL_MS,
      scrub: scrubberFor(desired),
    },
    onTest: (entry, index) => reporter.test(entry, index),
  });
  const count = (outcome_: string): number => outcome.entries.filter((entry) => entry.outcome === outcome_).length;
  const summary = { passed: count('passed'), failed: count('failed'), skipped: count('skipped') };
  const report: TestReport = {
    formatVersion: TEST_REPORT_FORMAT_VERSION,
    toolVersion: TOOL_VERSION,
    project: desired.project,
    environment: context.desired.environment,
    ephemeral,
    endpoint: session.endpoint,
    startedAt: context.startedAt.toISOString(),
    durationMs: Math.round(Date.now() - context.startedAt.getTime()),
    outcome: outcome.interrupted || summary.skipped > 0 ? 'interrupted' : summary.failed > 0 ? 'failed' : 'passed',
    summary,
    tests: outcome.entries,
    threads: outcome.threads,
  };
  return { report, reporter, tested: targets.tested };
}

