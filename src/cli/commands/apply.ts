/** `assistants apply [PLANFILE]`: make the API match the manifest (or run a saved plan). */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { readLive, readLiveFor } from '../../plan/refresh.js';
import { needsSensitiveValues, readPlanFile, sensitiveValuesForSavedPlan, stalePlanReason } from '../../plan/planfile.js';
import type { SensitiveValues } from '../../plan/redact.js';
import { executePlan, planAndExecute } from '../apply-flow.js';
import { collect, parseDuration, parsePositiveInt } from '../option-parsers.js';
import type { CliIo } from '../io.js';
import { withStateLock } from '../locking.js';
import { addCommonOptions, type CommonOptions } from '../options.js';
import { endpointOf, loadDesired, manifestFolder, openBackend, openSession } from '../session.js';
import { addLockTimeoutOption, addStateOption, type LockOptions, type StateOptions } from '../state-options.js';

export interface ApplyCommandOptions extends CommonOptions, StateOptions, LockOptions {
  autoApprove?: boolean;
  parallelism: string;
  target: string[];
  refreshOnly?: boolean;
}

export function addApplyOptions(command: Command): Command {
  return addLockTimeoutOption(addStateOption(addCommonOptions(command)))
    .option('--auto-approve', 'do not ask for confirmation (required without a terminal)')
    .option('--parallelism <n>', 'operations in flight at once', '10')
    .option('--target <key>', 'limit to this assistant key (repeatable)', collect, []);
}

export function register(program: Command, io: CliIo): void {
  addApplyOptions(program.command('apply').argument('[planfile]', 'a plan saved with "assistants plan --out"'))
    .description('make the API match the manifest, recording what was done in the state')
    .option('--refresh-only', 'record the server\'s current values in the state, changing nothing remotely')
    .action(async (planfile: string | undefined, options: ApplyCommandOptions, command: Command) => {
      const parallelism = parsePositiveInt(options.parallelism, '--parallelism');
      const lockTimeoutMs = parseDuration(options.lockTimeout ?? '0');
      if (planfile) {
        const given = (name: string): boolean => command.getOptionValueSource(name) === 'cli';
        if (options.target.length > 0 || options.refreshOnly || given('var')) {
          throw new UserError('USAGE', 'a saved plan is applied as it is: give --target, --refresh-only and --var to "assistants plan" instead.');
        }
        await applySaved(planfile, options, { file: given('file'), env: given('env'), endpoint: given('endpoint') }, parallelism, lockTimeoutMs, io);
        return;
      }
      await planAndExecute(options, io, { mode: options.refreshOnly ? 'refresh-only' : 'normal', verb: 'apply', parallelism, lockTimeoutMs });
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
  parallelism: number,
  lockTimeoutMs: number,
  io: CliIo,
): Promise<void> {
  const plan = await readPlanFile(planfile);
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
  // A saved plan never holds sensitive values: they come from the manifest it names, read again.
  const desired = needsSensitiveValues(plan) ? await loadDesired(planned, io) : null;
  const session = await openSession(planned, io, 'apply');
  try {
    const backend = openBackend(planned, null, io);
    await withStateLock(backend, 'apply', lockTimeoutMs, io, async (state) => {
      // Planning again for the sensitive values reads what the plan read: uploads that may be ours included.
      const live = desired !== null ? await readLiveFor(desired, state, session.assistants, session.files) : await readLive(session.assistants, session.files);
      const stale = stalePlanReason(plan, state, session.endpoint, live);
      if (stale) throw refuse(stale);
      let sensitiveValues: SensitiveValues = new Map();
      if (desired !== null) {
        const found = sensitiveValuesForSavedPlan(plan, desired, state, live);
        if (!found.ok) throw refuse(found.reason);
        sensitiveValues = found.sensitiveValues;
      }
      await executePlan({ plan, sensitiveValues }, state, backend, session, io, { autoApprove: true, parallelism, saved: true, manifestDir: manifestFolder(planned, io), verb: plan.mode === 'destroy' ? 'destroy' : 'apply' });
    });
  } finally {
    await session.close();
  }
}
