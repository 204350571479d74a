/**
 * `state push [FILE]` and `state pull [FILE]`: copy a local state file into the configured
 * backend (PostgreSQL, typically), and back. FILE defaults to the environment's local
 * state file. Both ends are locked and their journals folded first; a copy over another
 * lineage, a newer serial or a divergent one is refused unless --force.
 */
import { Option, type Command } from 'commander';
import { UserError } from '../../errors.js';
import type { StateBackend } from '../../state/backend.js';
import { planCopy } from '../../state/copy.js';
import { checkedEnvironment } from '../../state/resolve-path.js';
import type { StateFile } from '../../state/types.js';
import { addHelp } from '../help.js';
import type { CliIo } from '../io.js';
import { withStateLock } from '../locking.js';
import { addOptions, BACKEND, LOCATION, LOCK, type LockOptions, type ManifestOptions, type StateOptions } from '../options.js';
import { chooseBackendType, withStateBackend, type StateScope } from '../state-backend.js';
import { stateCommand } from './state.js';

interface CopyOptions extends ManifestOptions, StateOptions, LockOptions {
  force?: boolean;
}

type Direction = 'push' | 'pull';

/** A state must land under its own project and environment. */
function checkScope(state: StateFile, scope: StateScope, environment: string, source: string): void {
  if ((scope.project !== undefined && state.project !== scope.project) || state.environment !== environment) {
    throw new UserError(
      'STATE',
      `${source} holds the state of ${state.project}/${state.environment}, not ${scope.project ?? state.project}/${environment}; give the matching -f and --env`,
    );
  }
}

async function copy(direction: Direction, file: string | undefined, options: CopyOptions, io: CliIo): Promise<void> {
  const timeoutMs = options.lockTimeout;
  const { scope } = await chooseBackendType(options, {}, io);
  const environment = checkedEnvironment(options.env);
  const localEnd = { file: options.file, env: environment, stateBackend: 'local' as const, ...(file === undefined ? {} : { state: file }) };
  await withStateBackend(localEnd, scope, io, (local) => withStateBackend(options, scope, io, async (configured) => {
    if (configured.location === local.location) {
      throw new UserError('USAGE', `state ${direction} copies between ${local.location} and the configured backend, which is that same file; choose the other end with --state-backend pg`);
    }
    const [from, to]: [StateBackend, StateBackend] = direction === 'push' ? [local, configured] : [configured, local];
    await withStateLock(to, `state ${direction}`, timeoutMs, io, (target) =>
      withStateLock(from, `state ${direction}`, timeoutMs, io, async (source) => {
        if (source === null) throw new UserError('STATE', `${from.location}: no state to ${direction}`);
        checkScope(source, scope, environment, from.location);
        const plan = planCopy(source, target, Boolean(options.force), { from: from.location, to: to.location });
        if (plan.kind === 'same') {
          io.stdout.write(`${to.location} already holds this state (lineage ${source.lineage}, serial ${target?.serial ?? source.serial}); nothing to copy.\n`);
          return;
        }
        const written = await to.write(source, { replace: plan.kind === 'replace' });
        io.stdout.write(
          `Copied serial ${source.serial} of lineage ${source.lineage} from ${from.location} to ${to.location}, as serial ${written.serial}` +
            `${plan.kind === 'replace' ? ` (forced over ${target?.lineage === source.lineage ? `serial ${target?.serial ?? 0}` : `lineage ${target?.lineage ?? ''}`})` : ''}.\n`,
        );
      }),
    );
  }));
}

export function register(program: Command, io: CliIo): void {
  const state = stateCommand(program);
  for (const [direction, summary, example] of [
    ['push', "Copy a local state file (default: this environment's) into the configured backend", 'move the state into PostgreSQL'],
    ['pull', "Copy the state from the configured backend into a local state file (default: this environment's)", 'take a local copy of the state in PostgreSQL'],
  ] as const) {
    const command = addOptions(state.command(direction), [new Option('--force', 'overwrite a state of another lineage, a newer one, or a divergent one')], LOCATION, BACKEND, LOCK).argument(
      '[file]',
      'the local state file (default: .assistants/state/<ENV>.json beside the manifest)',
    );
    addHelp(command, {
      summary,
      about: 'Both ends are locked and their journals folded first. A copy over another lineage, a newer serial or a divergent one is refused unless --force.',
      examples: [[`assistants state ${direction} --state-backend pg`, example]],
      exits: [3],
    });
    command.action((file: string | undefined, options: CopyOptions) => copy(direction, file, options, io));
  }
}
