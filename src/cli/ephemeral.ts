/**
 * `assistants test --ephemeral`, as `terraform test` runs: apply the manifest (with the
 * values of --env) into a throwaway environment named after the run, with its own
 * ownership scope (`project/test.RUN/key` tags) and its own state, kept in the state
 * backend the run uses (a local file, or a row in PostgreSQL), run the tests against it,
 * and destroy it, also when the tests fail or the run is interrupted; its state is then
 * deleted through the backend.
 *
 * A run that dies before its teardown (SIGKILL, a lost machine) leaves one behind. The next
 * `test --ephemeral` finds it by its tags or its state in the backend and destroys it when
 * no live process holds its state's lock (the lock of a dead process is taken over; a
 * PostgreSQL lock dies with its session), or when it started more than a day ago and its
 * state is not in this backend (a run elsewhere).
 */
import { UserError } from '../errors.js';
import type { DesiredAssistant, DesiredState } from '../manifest/index.js';
import { dictionary } from '../dictionary.js';
import { parseOwner } from '../plan/ownership.js';
import { listAllAssistants } from '../plan/refresh.js';
import type { StateBackend, StateLock } from '../state/backend.js';
import { replayJournal } from '../state/recover.js';
import { executePlan } from './apply-flow.js';
import { makePlan, planSourceOf } from './planning.js';
import { manifestFolder } from './session.js';
import { desiredScope, withStateBackend } from './state-backend.js';
import { testDeployed, type EnvironmentRun, type TestRunContext } from './test-run.js';

/** `test.20260102-030405.a1b2c3`: a `.` no declared environment name can hold, so it never names a real one. */
const EPHEMERAL_NAME = /^test\.(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})\.[0-9a-f]{6}$/;

/** A leftover whose state is not here is taken for a dead run's once it is this old. */
export const LEFTOVER_AGE_MS = 24 * 3_600_000;

export function ephemeralName(runId: string): string {
  return `test.${runId}`;
}

/** When an ephemeral environment was started, from its name; null for any other name. */
export function ephemeralStartedAt(name: string): Date | null {
  const match = EPHEMERAL_NAME.exec(name);
  if (match === null) return null;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

/** The manifest as the throwaway environment deploys it: its own name, nothing protected from its destroy. */
export function throwawayDesired(desired: DesiredState, name: string): DesiredState {
  const assistants = dictionary<DesiredAssistant>();
  for (const [key, assistant] of Object.entries(desired.assistants)) {
    assistants[key] = { ...assistant, lifecycle: { ...assistant.lifecycle, preventDestroy: false } };
  }
  return { ...desired, environment: name, assistants };
}

export async function runEphemeral(context: TestRunContext): Promise<EnvironmentRun> {
  const { io, options } = context;
  const name = ephemeralName(context.runId);
  const throwaway = throwawayDesired(context.desired, name);
  return withStateBackend(options, desiredScope(throwaway), io, async (backend) => {
    await cleanUpLeftovers(context, await backend.environments());
    const lock = await backend.lock({ command: 'test --ephemeral', signal: io.interrupts.stop });
    let run: EnvironmentRun | null = null;
    let failure: unknown = null;
    try {
      context.progress.write(`${options.file}... setting up ephemeral environment ${name}\n`);
      try {
        const planned = await makePlan(planSourceOf(throwaway), null, context.session, 'normal', [], io);
        await executePlan(planned, null, backend, context.session, io, {
          autoApprove: true,
          parallelism: context.parallelism,
          saved: false,
          manifestDir: manifestFolder(options, io),
          verb: 'apply',
          output: io.stderr,
          showPlan: false,
        });
        if (!io.interrupts.stop.aborted) {
          const state = await backend.read();
          run = await testDeployed(context, { desired: throwaway, state, stateLocation: backend.location, ephemeral: name });
        }
      } catch (error) {
        failure = error;
      }
      context.progress.write(`${options.file}... tearing down\n`);
      await tearDown(context, throwaway, backend);
    } finally {
      await lock.release();
    }
    if (failure !== null) throw failure;
    if (run === null) throw new UserError('INTERRUPTED', `Interrupted while setting up ephemeral environment ${name}; no test ran, and it was torn down.`);
    return run;
  });
}

/**
 * Destroys an ephemeral environment (the caller holds its state lock) and, once nothing of
 * it is left, deletes its state from the backend. A teardown that cannot finish keeps the state for the next
 * `test --ephemeral`, and says so.
 */
async function tearDown(context: TestRunContext, throwaway: DesiredState, backend: StateBackend): Promise<void> {
  const { io, session, options } = context;
  try {
    const { state } = await replayJournal(backend);
    const planned = await makePlan(planSourceOf(throwaway), state, session, 'destroy', [], io);
    await executePlan(planned, state, backend, session, io, {
      autoApprove: true,
      parallelism: context.parallelism,
      saved: false,
      manifestDir: manifestFolder(options, io),
      verb: 'destroy',
      output: io.stderr,
      showPlan: false,
      finishAfterStop: true,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    io.stderr.write(
      `Warning: ephemeral environment ${throwaway.environment} could not be torn down completely (${reason}); its state stays in ${backend.location}, and the next "assistants test --ephemeral" destroys what is left.\n`,
    );
    return;
  }
  await backend.delete();
}

/**
 * Finds ephemeral environments of this project that earlier runs left (`withState`: the
 * environments with a state in this run's backend), and destroys those no live run holds.
 */
async function cleanUpLeftovers(context: TestRunContext, withState: readonly string[]): Promise<void> {
  const { io, options, desired, session } = context;
  const stated = new Set(withState.filter((name) => ephemeralStartedAt(name) !== null));
  const tagged = new Set<string>();
  for (const assistant of await listAllAssistants(session.assistants)) {
    const owner = parseOwner(assistant.metadata);
    if (owner !== null && owner.project === desired.project && ephemeralStartedAt(owner.environment) !== null) tagged.add(owner.environment);
  }
  for (const name of [...new Set([...stated, ...tagged])].sort()) {
    const age = Date.now() - (ephemeralStartedAt(name)?.getTime() ?? Date.now());
    if (!stated.has(name) && age < LEFTOVER_AGE_MS) {
      io.stderr.write(
        `Note: ephemeral environment ${name} has assistants but no state in this state backend; it may be a run in progress elsewhere, so it is left alone (it is cleaned up once a day old).\n`,
      );
      continue;
    }
    const throwaway = throwawayDesired(desired, name);
    await withStateBackend(options, desiredScope(throwaway), io, async (backend) => {
      let lock: StateLock;
      try {
        lock = await backend.lock({ command: 'test --ephemeral (clean-up)', timeoutMs: 0 });
      } catch (error) {
        if (error instanceof UserError && error.code === 'LOCK_HELD') return; // a run in progress: not a leftover
        throw error;
      }
      try {
        if (lock.notice) io.stderr.write(`${lock.notice}\n`);
        io.stderr.write(`Destroying ephemeral environment ${name}, left behind by an earlier run...\n`);
        await tearDown(context, throwaway, backend);
      } finally {
        await lock.release();
      }
    });
  }
}
