/**
 * `assistants output [ADDRESS] [--json]`: the ids the state records, for scripts and other
 * tools (as `terraform output`): key -> assistant id, file name -> file id. With an
 * address, only that id, bare.
 */
import { Option, type Command } from 'commander';
import { stringifySorted } from '../../canonical-json.js';
import { ownEntry } from '../../dictionary.js';
import { UserError } from '../../errors.js';
import { readWithJournal } from '../../state/recover.js';
import { addHelp } from '../help.js';
import type { CliIo } from '../io.js';
import { addOptions, LOCATION, STATE, type ManifestOptions, type StateOptions } from '../options.js';
import { withStateBackend } from '../state-backend.js';
import { FILE_PREFIX, stateLines } from './state.js';

export function register(program: Command, io: CliIo): void {
  const command = addOptions(program.command('output'), [new Option('--json', 'print {"assistants": {KEY: ID}, "files": {NAME: ID}} on stdout')], LOCATION, STATE).argument(
    '[address]',
    'an assistant key, or file:NAME: print only its id',
  );
  addHelp(command, {
    summary: 'Print the ids the state records: assistant key -> id, file name -> id',
    about:
      'For scripts and other tools: reads the state only (no request is sent). Without --json, one "KEY<tab>ID" line per assistant, then "file:NAME<tab>ID" per file; ' +
      'with an address, the id alone. No state, or an address not in it, is an error (exit 1), so a script never goes on with an empty id.',
    examples: [
      ['assistants output --json > ids.json', 'every id, as JSON'],
      ['ASSISTANT_ID=$(assistants output support --env prod)', "the prod id of the assistant \"support\""],
    ],
  });
  command.action(async (address: string | undefined, options: ManifestOptions & StateOptions & { json?: boolean }) => {
    await withStateBackend(options, {}, io, async (backend) => {
      const state = await readWithJournal(backend);
      if (state === null) throw new UserError('STATE', `${backend.location}: no state yet (nothing was applied to this environment, or --env/--state point elsewhere).`);
      if (address !== undefined) {
        const record = address.startsWith(FILE_PREFIX) ? ownEntry(state.files, address.slice(FILE_PREFIX.length)) : ownEntry(state.assistants, address);
        if (record === undefined) throw new UserError('STATE', `${address} is not in the state at ${backend.location}; "assistants output" lists what it holds.`);
        io.stdout.write(options.json ? `${JSON.stringify(record.id)}\n` : `${record.id}\n`);
        return;
      }
      if (options.json) {
        const ids = (records: Record<string, { id: string }>): Record<string, string> => Object.fromEntries(Object.entries(records).map(([name, record]) => [name, record.id]));
        io.stdout.write(stringifySorted({ assistants: ids(state.assistants), files: ids(state.files) }));
        return;
      }
      io.stdout.write(stateLines(state));
    });
  });
}
