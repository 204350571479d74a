/** `assistants apply [PLANFILE]`: make the API match the manifest (or run a saved plan). */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UserError } from '../../errors.js';
import { readLiveFor } from '../../plan/refresh.js';
import { manifestChangedReason, needsSensitiveValues, readPlanFile, sensitiveValuesForSavedPlan, stalePlanReason } from '../../plan/planfile.js';
import type { SensitiveValues } from '../../plan/redact.js';
import { scrub } from '../../forge/errors.js';
import type { Plan } from '../../plan/types.js';
import { executePlan, planAndExecute, releaseRecorder } from '../apply-flow.js';
import { commentOptions, commentRequest, postComment, type CommentOptions } from '../ci-integration.js';
import { collect, positiveInt } from '../option-parsers.js';
import { addHelp } from '../help.js';
import type { CliIo } from '../io.js';
import { withStateLock } from '../locking.js';
import { promotionOptions, type PromotionOptions } from '../promotion.js';
import { listedAhead, readWholeAccount } from '../planning.js';
import { addOptions, ENDPOINT, LOCK, MANIFEST, STATE, type CommonOptions, type LockOptions, type StateOptions } from '../options.js';
import { endpointOf, loadDesired, manifestFolder, openHashCache, openSession } from '../session.js';
import { withStateBackend } from '../state-backend.js';

export interface ApplyCommandOptions extends CommonOptions, StateOptions, LockOptions, CommentOptions, PromotionOptions {
  autoApprove?: boolean;
  /** The bound on apply's adaptive concurrency; undefined when not given. */
  parallelism?: number;
  target?: string[];
  replace?: string[];
  refreshOnly?: boolean;
  planHash?: string;
}

/** The options apply and destroy share; `own` are the command's others, listed first. */
export function addApplyOptions(command: Command, own: readonly Option[] = []): Command {
  return addOptions(
    command,
    [
      new Option('--auto-approve', 'do not ask for confirmation (required without a terminal)'),
      new Option('--parallelism <n>', 'most requests at once (default: adapts up to 64)').argParser(positiveInt('--parallelism')),
      new Option('--target <key>', 'limit to this assistant key (repeatable)').argParser(collect),
      ...own,
      ...commentOptions('the outcome and the plan run'),
    ],
    MANIFEST,
    ENDPOINT,
    STATE,
    LOCK,
  );
}

/**
 * Runs an apply or a destroy and, with --comment, posts its outcome and the plan it ran to
 * the pull request, whether it succeeded or not; a failure is thrown on afterwards.
 */
export async function runAndComment(
  io: CliIo,
  options: CommentOptions,
  kind: 'apply' | 'destroy',
  run: (onPlan: (plan: Plan) => void) => Promise<string | null>,
): Promise<void> {
  const comment = commentRequest(options);
  let plan: Plan | null = null;
  let heading: string;
  let failure: unknown = null;
  try {
    heading = (await run((made) => (plan = made))) ?? 'No changes: nothing was done.';
  } catch (error) {
    failure = error;
    heading = `${kind === 'destroy' ? 'Destroy' : 'Apply'} failed: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (comment !== null && plan !== null) {
    await postComment(io, comment, { kind, plan, heading: scrub(heading, io.env.OPENAI_API_KEY ?? '') });
  }
  if (failure !== null) throw failure;
}

function parsePlanHash(text: string): string {
  const hash = text.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hash)) {
    throw new UserError('USAGE', `--plan-hash ${JSON.stringify(text.slice(0, 80))}: give the 64 hex digits of a plan's hash (planHash in plan --json, or the plan comment).`);
  }
  return hash;
}

export function register(program: Command, io: CliIo): void {
  const command = addApplyOptions(program.command('apply').argument('[planfile]', 'a plan saved with "assistants plan --out"'), [
    new Option('--refresh-only', "record the server's current values in the state, changing nothing remotely"),
    new Option('--replace <key>', 'delete this assistant and create it again (a new id), though nothing changed (repeatable)').argParser(collect),
    new Option('--plan-hash <sha256>', "apply only when the plan made now has this hash (the reviewed plan's, shown in its comment and plan --json), without asking").argParser(parsePlanHash),
    ...promotionOptions(),
  ]);
  addHelp(command, {
    summary: 'Make the API match the manifest, recording what was done in the state',
    about:
      'Without PLANFILE: plans, shows the plan, asks (or --auto-approve) and runs it. With a plan saved by "assistants plan --out": runs exactly that plan, ' +
      'refusing it when the state or an object it read changed since. Every change is recorded as it is made, so an interrupted apply is finished by the next one.',
    examples: [
      ['assistants apply', 'plan, show the plan, ask, then apply it'],
      ['assistants plan --out plan.json && assistants apply plan.json', 'apply exactly the plan that was reviewed'],
      ['assistants apply --endpoint local --auto-approve', 'apply to the built-in local server without asking'],
      ['assistants apply --env prod --promote-from staging --require-tests', 'change in prod only what staging runs and passed its tests on (docs/promotion.md)'],
    ],
    exits: [3, 130],
  });
  command.action(async (planfile: string | undefined, options: ApplyCommandOptions, command: Command) => {
      const { parallelism, planHash, lockTimeout: lockTimeoutMs } = options;
      if (planfile) {
        const given = (name: string): boolean => command.getOptionValueSource(name) === 'cli';
        if (options.target !== undefined || options.replace !== undefined || options.refreshOnly || given('var') || options.promoteFrom !== undefined || planHash !== undefined) {
          throw new UserError('USAGE', 'a saved plan is applied as it is: give --target, --replace, --refresh-only, --var and --promote-from to "assistants plan" instead, and --plan-hash only without a plan file.');
        }
        const fromCli = { file: given('file'), env: given('env'), endpoint: given('endpoint') };
        await runAndComment(io, options, 'apply', (onPlan) => applySaved(planfile, options, fromCli, parallelism, lockTimeoutMs, io, onPlan));
        return;
      }
      await runAndComment(io, options, 'apply', (onPlan) =>
        planAndExecute(options, io, { mode: options.refreshOnly ? 'refresh-only' : 'normal', verb: 'apply', parallelism, lockTimeoutMs, onPlan, ...(planHash === undefined ? {} : { planHash }) }),
      );
    });
}

/**
 * Applies a saved plan against what it names: its manifest (for file paths, the state and
 * the local server's data), environment and endpoint. An -f, --env or --endpoint that
 * says otherwise is refused, as --target is.
 */
async function applySaved(
  planfile: string,
  options: ApplyCommandOptions,
  given: { file: boolean; env: boolean; endpoint: boolean },
  parallelism: number | undefined,
  lockTimeoutMs: number,
  io: CliIo,
  onPlan: (plan: Plan) => void,
): Promise<string | null> {
  const plan = await readPlanFile(planfile);
  onPlan(plan);
  const refuse = (reason: string): UserError =>
    new UserError('STALE_PLAN', `Refusing to apply ${planfile}: ${reason}. Run "assistants plan --out ${planfile}" again and review it.`);
  const differs = [
    given.file && resolve(io.cwd, options.file) !== resolve(io.cwd, plan.manifest) ? `-f ${plan.manifest}` : null,
    given.env && options.env !== plan.environment ? `--env ${plan.environment}` : null,
    given.endpoint && endpointOf(options, io) !== plan.endpoint ? `--endpoint ${plan.endpoint}` : null,
  ].filter((made) => made !== null);
  if (differs.length > 0) {
    throw new UserError(
      'USAGE',
      `${planfile} was made with ${differs.join(' ')}; a saved plan is applied as it was made: drop the option, or make a new plan with it.`,
    );
  }
  const planned = { ...options, file: plan.manifest, env: plan.environment, endpoint: plan.endpoint };
  // The manifest it names, read again: it must be what the plan was made from, and it holds
  // the sensitive values a saved plan never carries.
  const hashCache = openHashCache(planned, io);
  const manifest = await loadDesired(planned, io, { hashCache });
  const changed = manifestChangedReason(plan, manifest);
  if (changed) throw refuse(changed);
  const desired = needsSensitiveValues(plan) ? manifest : null;
  return await withStateBackend(planned, { project: plan.project, environment: plan.environment }, io, async (backend) => {
    const session = await openSession(planned, io, 'apply');
    try {
      return await withStateLock(backend, 'apply', lockTimeoutMs, io, async (state) => {
        // Planning again for the sensitive values reads what the plan read: uploads that may be ours included.
        const live =
          desired !== null
            ? await listedAhead(session, (hints) => readLiveFor(() => Promise.resolve(desired), state, session.assistants, session.files, undefined, hints))
            : await readWholeAccount(session);
        const stale = stalePlanReason(plan, state, session.endpoint, live);
        if (stale) throw refuse(stale);
        let sensitiveValues: SensitiveValues = new Map();
        if (desired !== null) {
          const found = sensitiveValuesForSavedPlan(plan, desired, state, live);
          if (!found.ok) throw refuse(found.reason);
          sensitiveValues = found.sensitiveValues;
        }
        // The manifest is the one the plan was made from (checked above): its content is what is released.
        const release = plan.mode === 'refresh-only' ? {} : { release: releaseRecorder(manifest, plan.targets, io) };
        const done = await executePlan({ plan, sensitiveValues }, state, backend, session, io, { autoApprove: true, parallelism, saved: true, manifestDir: manifestFolder(planned, io), verb: plan.mode === 'destroy' ? 'destroy' : 'apply', ...release });
        // The first apply made `.assistants/`, where its hashes could not be saved before.
        await (await hashCache).save();
        return done;
      });
    } finally {
      await session.close();
    }
  });
}
