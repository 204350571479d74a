/**
 * `state history` and `state rollback SERIAL`: every serial a backend keeps (PostgreSQL),
 * and writing an old one back as a new serial. `state show --serial N` is in state.ts.
 */
import { Option, type Command } from 'commander';
import { addHelp } from '../help.js';
import type { CliIo } from '../io.js';
import { withLock } from '../locking.js';
import { parsePositiveInt } from '../option-parsers.js';
import { addOptions, LOCATION, LOCK, STATE, type LockOptions, type ManifestOptions, type StateOptions } from '../options.js';
import { withStateBackend } from '../state-backend.js';
import { historyOf, stateCommand } from './state.js';

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => `${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')}\n`).join('');
}

export function register(program: Command, io: CliIo): void {
  const state = stateCommand(program);

  addHelp(addOptions(state.command('history'), [new Option('--json', 'print the list as JSON')], LOCATION, STATE), {
    summary: 'List every serial of the state kept, newest first',
    about: 'When each serial was written, by whom and with which command. The pg backend keeps every serial; the local file keeps only the previous one (.backup).',
    examples: [['assistants state history --state-backend pg', 'the serials of the state in PostgreSQL']],
  }).action(async (options: ManifestOptions & StateOptions & { json?: boolean }) => {
      await withStateBackend(options, {}, io, async (backend) => {
        const entries = await historyOf(backend).list();
        if (options.json) {
          io.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
          return;
        }
        if (entries.length === 0) {
          io.stderr.write(`No state at ${backend.location}.\n`);
          return;
        }
        const rows = entries.map((e) => [String(e.serial), e.writtenAt, e.writtenBy, e.command ?? '-', String(e.assistants), String(e.files), e.lineage]);
        io.stdout.write(table([['SERIAL', 'WRITTEN', 'BY', 'COMMAND', 'ASSISTANTS', 'FILES', 'LINEAGE'], ...rows]));
      });
    });

  addHelp(addOptions(state.command('rollback'), [], LOCATION, STATE, LOCK).argument('<serial>', 'the serial to restore, from "assistants state history"'), {
    summary: 'Write an earlier serial of the state back as a new serial',
    about: 'Restores a serial of the same lineage; nothing changes on the server. Run "assistants plan" after it to see what differs.',
    examples: [['assistants state rollback 12 --state-backend pg', 'make serial 12 the current state again']],
    exits: [3],
  }).action(async (serialText: string, options: ManifestOptions & StateOptions & LockOptions) => {
      const serial = parsePositiveInt(serialText, 'serial');
      await withStateBackend(options, {}, io, async (backend) => {
        const history = historyOf(backend);
        // No journal replay first: a rollback is how a state that cannot be read is repaired.
        const written = await withLock(backend, 'state rollback', options.lockTimeout, io, () => history.rollback(serial));
        io.stdout.write(
          `Rolled back ${backend.location} to serial ${serial}, written as serial ${written.serial}: ` +
            `${Object.keys(written.assistants).length} assistant(s), ${Object.keys(written.files).length} file(s). Run "assistants plan" to see what differs on the server.\n`,
        );
      });
    });
}
