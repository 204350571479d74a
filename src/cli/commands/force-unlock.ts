/** `force-unlock ID`: remove a state lock left by a process that is gone. */
import { Option, type Command } from 'commander';
import { addHelp } from '../help.js';
import type { CliIo } from '../io.js';
import { addOptions, LOCATION, STATE, type ManifestOptions, type StateOptions } from '../options.js';
import { withStateBackend } from '../state-backend.js';

export function register(program: Command, io: CliIo): void {
  const command = addOptions(
    program.command('force-unlock'),
    [new Option('--force', 'remove the lock even though its holder still runs (with PostgreSQL: end its database session)')],
    LOCATION,
    STATE,
  ).argument('<id>', 'the lock ID, as printed by the command that found the state locked');
  addHelp(command, {
    summary: 'Remove the state lock with this ID, left by a process that is gone',
    about:
      'A run that was killed can leave its lock behind; the next run then exits 3 naming the lock\'s ID and holder. A lock whose holder still runs is refused unless --force.',
    examples: [['assistants force-unlock 9f3c2a1e --env prod', 'remove the lock 9f3c2a1e from the prod state']],
    exits: [3],
  });
  command.action(async (id: string, options: ManifestOptions & StateOptions & { force?: boolean }) => {
      await withStateBackend(options, {}, io, async (backend) => {
        const holder = await backend.forceUnlock(id, { force: Boolean(options.force) });
        io.stdout.write(
          `Removed lock ${holder.id} on ${backend.location} (taken by ${holder.command}, pid ${holder.pid} on ${holder.host}, user ${holder.who}, at ${holder.createdAt}).\n`,
        );
      });
    });
}
