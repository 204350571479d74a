/** `force-unlock ID`: remove a state lock left by a process that is gone. */
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { addCommonOptions, type CommonOptions } from '../options.js';
import { withStateBackend } from '../state-backend.js';
import { addStateOption, type StateOptions } from '../state-options.js';

export function register(program: Command, io: CliIo): void {
  addStateOption(addCommonOptions(program.command('force-unlock')))
    .argument('<id>', 'the lock ID, as printed by the command that found the state locked')
    .description('remove the state lock with this ID (only when the process holding it is gone)')
    .option('--force', 'remove the lock even though its holder still runs (with PostgreSQL: end its database session)')
    .action(async (id: string, options: CommonOptions & StateOptions & { force?: boolean }) => {
      await withStateBackend(options, {}, io, async (backend) => {
        const holder = await backend.forceUnlock(id, { force: Boolean(options.force) });
        io.stdout.write(
          `Removed lock ${holder.id} on ${backend.location} (taken by ${holder.command}, pid ${holder.pid} on ${holder.host}, user ${holder.who}, at ${holder.createdAt}).\n`,
        );
      });
    });
}
