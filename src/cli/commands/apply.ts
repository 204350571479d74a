/** `assistants apply [PLANFILE]`: make the API match the manifest (or run a saved plan). */
import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { readLive } from '../../plan/refresh.js';
import { needsSensitiveValues, readPlanFile, sensitiveValuesForSavedPlan, stalePlanReason } from '../../plan/planfile.js';
import type { SensitiveValues } from '../../plan/redact.js';
import { executePlan, planAndExecute } from '../apply-flow.js';
import { collect, parseDuration, parsePositiveInt } from '../option-parsers.js';
import type { CliIo } from '../io.js';
import { withStateLock } from '../locking.js';
import { addCommonOptions, type CommonOptions } from '../options.js';
import { loadDesired, manifestFolder, openBackend, openSession } from '../session.js';
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
    .action(async (planfile: string | undefined, options: ApplyCommandOptions) => {
      const parallelism = parsePositiveInt(options.parallelism, '--parallelism');
      const lockTimeoutMs = parseDuration(options.lockTimeout ?? '0');
      if (planfile) {
        if (options.target.length > 0 || options.refreshOnly) {
          throw new UserError('USAGE', 'a saved plan is applied as it is: give --target and --refresh-only to "assistants plan" instead.');
        }
        await applySaved(planfile, options, parallelism, lockTimeoutMs, io);
        return;
      }
      await planAndExecute(options, io, { mode: options.refreshOnly ? 'refresh-only' : 'normal', verb: 'apply', parallelism, lockTimeoutMs });
    });
}

async function applySaved(planfile: string, options: ApplyCommandOptions, parallelism: number, lockTimeoutMs: number, io: CliIo): Promise<void> {
  const plan = await readPlanFile(planfile);
  const refuse = (reason: string): UserError =>
    new UserError('STALE_PLAN', `Refusing to apply ${planfile}: ${reason}. Run "assistants plan --out ${planfile}" again and review it.`);
  // A saved plan never holds sensitive values: they come from the manifest, read again.
  const desired = needsSensitiveValues(plan) ? await loadDesired({ ...options, env: plan.environment }, io) : null;
  const session = await openSession(options, io, 'apply');
  try {
    const backend = openBackend({ ...options, env: plan.environment }, null, io);
    await withStateLock(backend, 'apply', lockTimeoutMs, io, async (state) => {
      const live = await readLive(session.assistants, session.files);
      const stale = stalePlanReason(plan, state, session.endpoint, live);
      if (stale) throw refuse(stale);
      let sensitiveValues: SensitiveValues = new Map();
      if (desired !== null) {
        const found = sensitiveValuesForSavedPlan(plan, desired, state, live);
        if (!found.ok) throw refuse(found.reason);
        sensitiveValues = found.sensitiveValues;
      }
      await executePlan({ plan, sensitiveValues }, state, backend, session, io, { autoApprove: true, parallelism, saved: true, manifestDir: manifestFolder(options, io), verb: plan.mode === 'destroy' ? 'destroy' : 'apply' });
    });
  } finally {
    await session.close();
  }
}
