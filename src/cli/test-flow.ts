/**
 * `assistants test`: load the manifest and its tests (nothing is sent while either has a
 * problem), find the deployed assistants (or, with --ephemeral, deploy a throwaway copy),
 * run the conversations, print the results as they come, write the reports, and record
 * the outcome in the environment's state.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { renderJunit } from '../conversation-tests/render-junit.js';
import { renderMarkdown, threadsWarning } from '../conversation-tests/render-markdown.js';
import { testRecords, withTestResults } from '../conversation-tests/results.js';
import { UserError } from '../errors.js';
import type { TestDefinition } from '../manifest/index.js';
import { writeFileAtomic } from '../atomic-file.js';
import { readWithJournal } from '../state/recover.js';
import { TOOL_VERSION } from '../version.js';
import type { CliIo } from './io.js';
import { withStateLock } from './locking.js';
import type { CommonOptions, LockOptions, StateOptions } from './options.js';
import { junitTargetProblem } from './report-files.js';
import { checkStateBelongs, loadDesiredWithTests, openSession } from './session.js';
import { desiredScope, withStateBackend } from './state-backend.js';
import { testDeployed, type EnvironmentRun, type TestRunContext } from './test-run.js';

export interface TestCommandOptions extends CommonOptions, StateOptions, LockOptions {
  filter?: string[];
  parallelism: number;
  repeat: number;
  junit?: string;
  json?: boolean;
  markdown?: boolean;
  ephemeral?: boolean;
}

const MAX_REPEAT = 100;

export async function runTestCommand(options: TestCommandOptions, io: CliIo): Promise<void> {
  if (options.json && options.markdown) throw new UserError('USAGE', 'give --json or --markdown, not both: stdout carries one of them.');
  if (options.ephemeral && options.state !== undefined) {
    throw new UserError('USAGE', '--ephemeral keeps its own state, named after the run; leave out --state.');
  }
  const { parallelism, repeat, lockTimeout: lockTimeoutMs } = options;
  if (repeat > MAX_REPEAT) throw new UserError('USAGE', `--repeat ${repeat}: at most ${MAX_REPEAT}.`);
  const junitPath = options.junit === undefined ? null : resolve(io.cwd, options.junit);
  if (junitPath !== null) {
    const problem = await junitTargetProblem(junitPath);
    if (problem !== null) throw new UserError('USAGE', `--junit ${options.junit}: ${problem}; refusing to overwrite it. Give a new file name, or one a JUnit report was written to.`);
  }

  const loaded = await loadDesiredWithTests(options, io);
  const tests = selectTests(loaded.tests, options.filter ?? []);
  const startedAt = new Date();
  const context = {
    options,
    io,
    desired: loaded.desired,
    tests,
    parallelism,
    repeat,
    runId: `${startedAt.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}.${randomBytes(3).toString('hex')}`,
    startedAt,
    progress: options.json || options.markdown ? io.stderr : io.stdout,
  };
  const stopListening = io.interrupts.onInterrupt((count) => {
    io.stderr.write(
      count === 1
        ? '\nInterrupted: starting no new test or turn; what is in flight finishes, then the tests\' threads are deleted (Ctrl-C again to stop at once)...\n'
        : '\nInterrupted again: giving up the requests in flight; deleting the tests\' threads...\n',
    );
  });
  const session = await openSession(options, io, 'test', loaded.desired.endpoint);
  let run: EnvironmentRun;
  try {
    // A first Ctrl-C stops new work but lets requests in flight end, clean-up included.
    run = await io.interrupts.finishInFlight(async () => {
      if (!options.ephemeral) return runInEnvironment({ ...context, session }, lockTimeoutMs);
      // Loaded only here: a plain test run needs neither the planner nor the applier.
      const { runEphemeral } = await import('./ephemeral.js');
      return runEphemeral({ ...context, session });
    });
  } finally {
    stopListening();
    await session.close();
  }

  const { report } = run;
  run.reporter.finish(report);
  if (options.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (options.markdown) io.stdout.write(renderMarkdown(report));
  const warning = threadsWarning(report);
  if (warning !== '') io.stderr.write(`Warning: ${warning}.\n`);
  if (junitPath !== null) {
    await writeFileAtomic(junitPath, renderJunit(report)).catch((error: unknown) => {
      throw new UserError('USAGE', `--junit ${options.junit}: could not write it (${(error as NodeJS.ErrnoException).code ?? String(error)}).`);
    });
  }
  await run.record?.();
  if (report.outcome === 'interrupted') {
    throw new UserError('INTERRUPTED', `Interrupted: ${report.summary.passed + report.summary.failed} of ${report.tests.length} test(s) ran.`);
  }
  if (report.outcome === 'failed') io.exitCode = 1;
}

/** The tests `--filter` names (`*` matches any characters); all of them without it. */
export function selectTests(tests: readonly TestDefinition[], filters: readonly string[]): TestDefinition[] {
  if (filters.length === 0) return [...tests];
  const patterns = filters.map((filter) => new RegExp(`^${filter.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
  const selected = tests.filter((test) => patterns.some((pattern) => pattern.test(test.name)));
  if (selected.length === 0) {
    const names = tests.map((test) => test.name).join(', ') || 'none in this environment';
    throw new UserError('USAGE', `--filter ${filters.join(', ')}: no test matches (tests: ${names}).`);
  }
  return selected;
}

/**
 * Tests against the environment as deployed; the results are recorded in its state. The
 * backend is opened to read the state and again to record: it is not held open (a database
 * connection idle) while the conversations run.
 */
async function runInEnvironment(context: TestRunContext, lockTimeoutMs: number): Promise<EnvironmentRun> {
  const { options, io, desired, session } = context;
  const scope = desiredScope(desired);
  const { state, location } = await withStateBackend(options, scope, io, async (backend) => ({ state: await readWithJournal(backend), location: backend.location }));
  checkStateBelongs(state, desired, session.endpoint, location);
  const run = await testDeployed(context, { desired, state, stateLocation: state === null ? null : location, ephemeral: null });
  if (run.report.outcome === 'interrupted') return run;
  if (state === null) {
    io.stderr.write(`No state for environment "${desired.environment}" (${location}): the assistants were found by their ownership tags, and the results are not recorded.\n`);
    return run;
  }
  const records = testRecords(run.report.tests, run.tested, { manifestHash: desired.manifestHash, testedAt: new Date().toISOString(), toolVersion: TOOL_VERSION });
  if (Object.keys(records).length === 0) return run;
  // After the results are printed and written: a state lock held too long loses nothing else.
  const record = async (): Promise<void> => {
    const written = await withStateBackend(options, scope, io, (backend) =>
      withStateLock(backend, 'test', lockTimeoutMs, io, async (current) => {
        if (current === null || current.lineage !== state.lineage) return false;
        await backend.write(withTestResults(current, records));
        return true;
      }),
    ).catch((error: unknown) => {
      if (error instanceof UserError) throw new UserError(error.code, `The test results were not recorded in the state: ${error.message}`, error.details);
      throw error;
    });
    io.stderr.write(
      written
        ? `Recorded the test results of ${Object.keys(records).length} assistant(s) in ${location}.\n`
        : `Warning: ${location} was replaced while the tests ran; the results are not recorded.\n`,
    );
  };
  return { ...run, record };
}
