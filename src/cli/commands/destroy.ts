/** `assistants destroy`: delete every assistant and file this project and environment own. */
import type { Command } from 'commander';
import { executePlan } from '../apply-flow.js';
import { parseDuration, parsePositiveInt } from '../option-parsers.js';
import type { CliIo } from '../io.js';
import { withStateLock } from '../locking.js';
import { makePlan } from '../planning.js';
import { checkStateBelongs, loadDesired, manifestFolder, openBackend, openSession } from '../session.js';
import { addApplyOptions, type ApplyCommandOptions } from './apply.js';

export function register(program: Command, io: CliIo): void {
  addApplyOptions(program.command('destroy'))
    .description('delete everything this project and environment own (lifecycle.prevent_destroy is honoured)')
    .action(async (options: ApplyCommandOptions) => {
      const parallelism = parsePositiveInt(options.parallelism, '--parallelism');
      const lockTimeoutMs = parseDuration(options.lockTimeout ?? '0');
      const desired = await loadDesired(options, io);
      const session = await openSession(options, io);
      try {
        const backend = openBackend(options, desired, io);
        await withStateLock(backend, 'destroy', lockTimeoutMs, io, async (state) => {
          checkStateBelongs(state, desired, session.endpoint, backend.location);
          const plan = await makePlan(desired, state, session, 'destroy', options.target);
          await executePlan(plan, state, backend, session, io, { autoApprove: Boolean(options.autoApprove), parallelism, saved: false, manifestDir: manifestFolder(options, io), verb: 'destroy' });
        });
      } finally {
        await session.close();
      }
    });
}
