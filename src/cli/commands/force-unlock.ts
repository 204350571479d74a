/** `force-unlock ID`: remove a state lock left by a process that is gone. */
import { Option, type Command } from 'commander';
import type { CliIo } from '../io.js';
import { addOptions, LOCATION, STATE, type ManifestOptions, type StateOptions } from '../options.js';
import { withStateBackend } from '../state-backend.js';

export function register(program: Command, io: CliIo): void {
  addOptions(
    program.command('force-unlock'),
    [new Option('--force', 'remove the lock even though its holder still runs (with PostgreSQL: end its database session)')],
    LOCATION,
    STATE,
  )
    .argument('<id>', 'the lock ID, as printed by the command that found the state locked')
    .description('remove the state lock with this ID (only when the process holding it is gone)')
    .action(async (id: string, options: ManifestOptions & StateOptions & { force?: boolean }) => {
      await withStateBackend(options, {}, io, async (backend) => {
        const holder = await backend.forceUnlock(id, { force: Boolean(options.force) });
        io.stdout.write(
          `Removed lock ${holder.id} on ${backend.location} (taken by ${holder.command}, pid ${holder.pid} on ${holder.host}, user ${holder.who}, at ${holder.createdAt}).\n`,
        );
      });
    });
}
