/**
 * What apply and destroy share: plan from the manifest under the state lock, then show the
 * plan, get approval, run it with the journal, fold the journal into the state, and report.
 */
import { hostname } from 'node:os';
import { createApplyApi } from '../apply/api.js';
import { currentUser } from '../current-user.js';
import type { DesiredState } from '../manifest/types.js';
import { releaseOrigin, withReleases } from '../promotion/releases.js';
import { applyPlan, type ApplyReport } from '../apply/executor.js';
import { UserError } from '../errors.js';
import { planHasChanges, type PlanResult } from '../plan/planner.js';
import type { Plan, PlanMode } from '../plan/types.js';
import type { StateBackend } from '../state/backend.js';
import { newState } from '../state/format.js';
import type { JournalEntry } from '../state/journal.js';
import { replayJournal } from '../state/recover.js';
import type { StateFile } from '../state/types.js';
import { TOOL_VERSION } from '../version.js';
import type { CliIo } from './io.js';
import { withStateLock } from './locking.js';
import type { CommonOptions, LockOptions, StateOptions } from './options.js';
import { makePlan, renderPlan } from './planning.js';
import { progressReporter } from './progress.js';
import { confirm } from './prompt.js';
import { checkDesired, checkStateBelongs, manifestFolder, openHashCache, openSession, type ApiSession } from './session.js';
import { desiredScope, withStateBackend } from './state-backend.js';
import { gatePlan, readPromotionSource, type PromotionOptions } from './promotion.js';

export interface ExecuteOptions {
  autoApprove: boolean;
  /** `--parallelism`: the bound on the adaptive concurrency; undefined for the default. */
  parallelism: number | undefined;
  /** The plan came from a file the user already reviewed: no prompt. */
  saved: boolean;
  /** The manifest's folder, which the plan's file paths are relative to. */
  manifestDir: string;
  verb: 'apply' | 'destroy';
  /** Where the plan and the closing line go (default stdout); `test --ephemeral` keeps stdout for its results. */
  output?: NodeJS.WritableStream;
  /** Print the plan before running it (default true). */
  showPlan?: boolean;
  /** After a run that did everything: the state to write instead (release records), or null for no change. */
  release?: (state: StateFile) => StateFile | null;
  /**
   * Carry on after a first Ctrl-C, giving up only at a second: the destroy of an
   * ephemeral environment, which an interrupted test run must still tear down.
   */
  finishAfterStop?: boolean;
}

export interface PlanAndExecuteOptions extends CommonOptions, StateOptions, LockOptions, PromotionOptions {
  autoApprove?: boolean;
  target?: string[];
  /** `apply --replace KEY`: delete and create again. */
  replace?: string[];
}

export interface PlanAndExecuteRun {
  mode: PlanMode;
  verb: ExecuteOptions['verb'];
  parallelism: number | undefined;
  lockTimeoutMs: number;
  /** `apply --plan-hash`: run only a plan with this hash (the reviewed one), without asking. */
  planHash?: string;
  /** Told the plan once it is made (to comment on it whatever happens next). */
  onPlan?: (plan: Plan) => void;
}

/**
 * `apply` (without a saved plan) and `destroy`: plan in `mode` under the lock, then
 * execute. Resolves with the closing line (`Apply complete! ...`), or null when there was
 * nothing to do.
 */
export async function planAndExecute(options: PlanAndExecuteOptions, io: CliIo, run: PlanAndExecuteRun): Promise<string | null> {
  const hashCache = openHashCache(options, io);
  const checked = await checkDesired(options, io, { hashCache });
  const source = await readPromotionSource(options, checked.header, io);
  return await withStateBackend(options, desiredScope(checked.header), io, async (backend) => {
    const session = await openSession(options, io, run.verb, checked.header.endpoint);
    try {
      return await withStateLock(backend, run.verb, run.lockTimeoutMs, io, async (state) => {
        checkStateBelongs(state, checked.header, session.endpoint, backend.location);
        const planFor = (targets: readonly string[]): Promise<PlanResult> => makePlan(checked, state, session, run.mode, targets, io, options.replace ?? []);
        const made = await planFor(options.target ?? []);
        const desired = await checked.desired();
        const planned = source === null ? made : await gatePlan(made, { desired, target: state, source, targets: options.target ?? [], verb: run.verb }, io, planFor);
        if (planned === null) {
          io.stdout.write(`No changes promoted from ${source?.state.environment ?? ''}: nothing to ${run.verb}.\n`);
          return null;
        }
        run.onPlan?.(planned.plan);
        if (run.planHash !== undefined && planned.plan.planHash !== run.planHash) {
          io.stdout.write(renderPlan(planned.plan, 'text', io));
          throw new UserError('STALE_PLAN', `Refusing to apply: ${planDifference(planned.plan, run.planHash)}`);
        }
        const done = await executePlan(planned, state, backend, session, io, {
          autoApprove: Boolean(options.autoApprove) || run.planHash !== undefined,
          parallelism: run.parallelism,
          saved: false,
          manifestDir: manifestFolder(options, io),
          verb: run.verb,
          ...(run.mode === 'refresh-only' ? {} : { release: releaseRecorder(desired, planned.plan.targets, io) }),
        });
        // The first apply made `.assistants/`, where its hashes could not be saved before.
        await (await hashCache).save();
        return done;
      });
    } finally {
      await session.close();
    }
  });
}

/**
 * Why a fresh plan is not the reviewed one: its hash and what it would do, so a reviewer
 * can compare it with the plan they approved.
 */
function planDifference(plan: Plan, reviewed: string): string {
  const changed = changedObjects(plan);
  const shown = changed.slice(0, 10).join(', ');
  const more = changed.length > 10 ? ` and ${changed.length - 10} more` : '';
  const now = changed.length === 0 ? 'nothing to do' : `${summaryOf(plan)} (${shown}${more})`;
  return (
    `the plan made now (hash ${plan.planHash.slice(0, 12)}: ${now}) is not the reviewed plan (hash ${reviewed.slice(0, 12)}); ` +
    'something changed since the review (the manifest, the state or the live objects). Review the plan above and apply with its hash, or plan again in the pull request.'
  );
}

function summaryOf(plan: Plan): string {
  const s = plan.summary;
  return `${s.add} to add, ${s.change} to change, ${s.destroy} to destroy, ${s.filesUpload} files to upload, ${s.filesDelete} to delete`;
}

/** `+ key`, `~ key`, `- key` for each assistant and file the plan acts on. */
function changedObjects(plan: Plan): string[] {
  const sign = { create: '+', update: '~', record: '~', delete: '-', upload: '+', 'no-op': '' } as const;
  return [
    ...plan.files.filter((f) => f.action !== 'no-op').map((f) => `${sign[f.action]} file ${f.name}`),
    ...plan.assistants.filter((a) => a.action !== 'no-op').map((a) => `${sign[a.action]} ${a.key}`),
  ];
}

/**
 * For a successful apply or destroy: the state with the release record of each assistant
 * of `desired` in `targets` (all when empty) that it maps, or null when none changed.
 */
export function releaseRecorder(desired: DesiredState, targets: readonly string[], io: CliIo): (state: StateFile) => StateFile | null {
  return (state) => withReleases(state, desired, targets, releaseOrigin(io.env, `${currentUser()}@${hostname()}`, new Date(), TOOL_VERSION));
}

export async function executePlan(
  { plan, sensitiveValues }: PlanResult,
  state: StateFile | null,
  backend: StateBackend,
  session: ApiSession,
  io: CliIo,
  options: ExecuteOptions,
): Promise<string | null> {
  const output = options.output ?? io.stdout;
  if (!options.saved && options.showPlan !== false) output.write(renderPlan(plan, 'text', io));
  if (!planHasChanges(plan)) {
    // Nothing to do is a successful apply too: the first one after an upgrade records its releases.
    if (options.release !== undefined) await replayJournal(backend, options.release);
    return null;
  }
  const cancelled = (): UserError => new UserError('INTERRUPTED', `${options.verb} cancelled: nothing was changed.`);
  const stopping = (): boolean => io.interrupts.stop.aborted && options.finishAfterStop !== true;
  if (stopping()) throw cancelled();
  if (!options.saved && !options.autoApprove) {
    if (!io.interactive || io.input === false) {
      const why = io.input === false ? 'with --input=false' : 'when not run from a terminal (CI)';
      throw new UserError('USAGE', `${options.verb} needs --auto-approve ${why}; review the plan above first.`);
    }
    const question = options.verb === 'destroy'
      ? 'Do you really want to destroy all assistants and files this project and environment own?'
      : 'Do you want to perform these actions?';
    const approved = await confirm(io, question);
    if (io.interrupts.stop.aborted) throw cancelled();
    if (!approved) throw new UserError('USAGE', `${options.verb} cancelled: nothing was changed.`);
  }

  // The assistants it deletes leave no cursor for the next listing to read ahead from (list-cursors.ts).
  await session.listing.forget(plan.assistants.flatMap((change) => (change.action === 'delete' && change.id !== null ? [change.id] : [])));
  // The journal needs a written state to fold into.
  const base = state ?? (await backend.write(newState({ project: plan.project, environment: plan.environment, endpoint: plan.endpoint, toolVersion: TOOL_VERSION })));
  const progress = progressReporter(io);
  const stopListening = io.interrupts.onInterrupt((count) => {
    progress.flush();
    const first = options.finishAfterStop
      ? `\nInterrupted: the ${options.verb} goes on (Ctrl-C again to stop it)...\n`
      : '\nInterrupted: starting nothing new, finishing and recording what is in flight (Ctrl-C again to stop at once)...\n';
    io.stderr.write(count === 1 ? first : '\nInterrupted again: giving up the requests in flight and recording what is known...\n');
  });
  // The journal is the only record of what was done: once it cannot be written (the state
  // database went away, the disk filled), starting more work would do what nobody records.
  let journalFailure: unknown = null;
  const journal = {
    append: (entry: JournalEntry) =>
      backend.appendJournal(entry).catch((error: unknown) => {
        journalFailure ??= error;
        throw error;
      }),
  };
  let report: ApplyReport;
  // Everything done: the release records go into the same write as the journal.
  let complete = false;
  try {
    report = await io.interrupts.finishInFlight(() =>
      applyPlan(plan, base, createApplyApi(session.assistants, session.files), journal, {
        parallelism: options.parallelism,
        manifestDir: options.manifestDir,
        sensitiveValues,
        shouldStop: () => stopping() || journalFailure !== null,
        signal: io.interrupts.requests,
        onProgress: progress.onProgress,
      }),
    );
    complete = report.failed.length === 0 && report.notStarted.length === 0 && report.skipped.length === 0;
  } finally {
    stopListening();
    progress.finish();
    if (journalFailure === null) await replayJournal(backend, complete ? options.release : undefined);
  }
  if (journalFailure !== null) throw journalFailure;
  const stopped = stopping();
  if (report.leftovers.length > 0) {
    const named = report.leftovers.map((l) => `${l.kind} ${l.name} (${l.id})`).join(', ');
    io.stderr.write(`Deleted ${report.leftovers.length} leftover(s) of requests that got no answer, were not found and were sent again: ${named}.\n`);
  }
  if (report.leftoverError !== null) {
    io.stderr.write(`Could not look for leftovers of requests that got no answer and were sent again (${report.leftoverError}); the next plan shows any.\n`);
  }

  const count = (kinds: string[]): number => report.done.filter((n) => kinds.includes(n.op.kind)).length;
  const files = `${count(['upload'])} uploaded, ${count(['delete-file'])} deleted`;
  const verb = options.verb === 'destroy' ? 'Destroy' : 'Apply';
  // Counted as the plan's summary counts: a replaced file's old copy is one of the deletions.
  const resources =
    plan.mode === 'refresh-only'
      ? `${count(['record'])} drifted recorded in the state`
      : `${count(['create'])} added, ${count(['update'])} changed, ${count(['delete'])} destroyed; files: ${files}`;
  if (report.failed.length === 0 && report.notStarted.length === 0 && report.skipped.length === 0) {
    const done = `${verb} complete! Resources: ${resources}.`;
    output.write(`
${done}
`);
    return done;
  }
  const lines = [
    ...report.failed.map((f) => `  ${f.node.id}: ${f.message}`),
    ...report.skipped.map((n) => `  ${n.id}: skipped (an operation it depends on failed)`),
    ...report.notStarted.map((n) => `  ${n.id}: not started`),
    `Everything that finished is recorded in ${backend.location}; run ${options.verb} again to finish the rest.`,
  ];
  if (stopped) throw new UserError('INTERRUPTED', `${verb} interrupted after ${resources}.`, lines);
  throw new UserError('APPLY_FAILED', `${verb} incomplete: ${report.failed.length} operation(s) failed; done: ${resources}.`, lines);
}
