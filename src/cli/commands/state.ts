/**
 * `state list`, `state show ADDRESS`, `state rm ADDRESS...`. An address is a manifest
 * key for an assistant, or `file:NAME` for an uploaded file. `state rebuild` is
 * registered elsewhere on the same `state` command (see `stateCommand`).
 */
import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { stringifySorted } from '../../canonical-json.js';
import { LocalStateBackend } from '../../state/local-backend.js';
import { readWithJournal, replayJournal } from '../../state/recover.js';
import { resolveStatePath } from '../../state/resolve-path.js';
import type { AssistantRecord, FileRecord, StateFile } from '../../state/types.js';
import type { CliIo } from '../io.js';
import { addCommonOptions, type CommonOptions } from '../options.js';
import { parseDuration } from '../option-parsers.js';
import { addLockTimeoutOption, addStateOption, type LockOptions, type StateOptions } from '../state-options.js';

const FILE_PREFIX = 'file:';

type Address = { kind: 'assistant'; key: string } | { kind: 'file'; name: string };

function parseAddress(text: string): Address {
  return text.startsWith(FILE_PREFIX) ? { kind: 'file', name: text.slice(FILE_PREFIX.length) } : { kind: 'assistant', key: text };
}

function recordAt(state: StateFile, address: Address): AssistantRecord | FileRecord | undefined {
  return address.kind === 'file' ? state.files[address.name] : state.assistants[address.key];
}

function backendFor(io: CliIo, options: CommonOptions & StateOptions): LocalStateBackend {
  return new LocalStateBackend(
    resolveStatePath({ cwd: io.cwd, manifestFile: options.file, env: options.env, statePath: options.state }),
  );
}

function noState(backend: LocalStateBackend): UserError {
  return new UserError('STATE', `${backend.location}: no state yet (nothing was applied to this environment, or --env/--state point elsewhere)`);
}

function notInState(backend: LocalStateBackend, addresses: readonly string[]): UserError {
  return new UserError(
    'STATE',
    `${backend.location}: not in the state: ${addresses.join(', ')}; "assistants state list" shows what it holds`,
  );
}

/** The `state` command group, created on first use so other files can add subcommands to it. */
export function stateCommand(program: Command): Command {
  return (
    program.commands.find((command) => command.name() === 'state') ??
    program.command('state').description('inspect and repair the state')
  );
}

export function register(program: Command, io: CliIo): void {
  const state = stateCommand(program);

  addStateOption(addCommonOptions(state.command('list')))
    .description('list what the state tracks: "KEY<tab>ID" per assistant, then "file:NAME<tab>ID" per file')
    .action(async (options: CommonOptions & StateOptions) => {
      const backend = backendFor(io, options);
      const current = await readWithJournal(backend);
      if (current === null) {
        io.stderr.write(`No state at ${backend.location}.\n`);
        return;
      }
      const lines = [
        ...Object.keys(current.assistants).sort().map((key) => `${key}\t${current.assistants[key]?.id ?? ''}`),
        ...Object.keys(current.files).sort().map((name) => `${FILE_PREFIX}${name}\t${current.files[name]?.id ?? ''}`),
      ];
      io.stdout.write(lines.map((line) => `${line}\n`).join(''));
    });

  addStateOption(addCommonOptions(state.command('show')))
    .argument('<address>', 'an assistant key, or file:NAME')
    .description('print one record of the state as JSON')
    .action(async (address: string, options: CommonOptions & StateOptions) => {
      const backend = backendFor(io, options);
      const current = await readWithJournal(backend);
      if (current === null) throw noState(backend);
      const record = recordAt(current, parseAddress(address));
      if (record === undefined) throw notInState(backend, [address]);
      io.stdout.write(stringifySorted(record));
    });

  addLockTimeoutOption(addStateOption(addCommonOptions(state.command('rm'))))
    .argument('<address...>', 'assistant keys, or file:NAME')
    .description('forget objects without deleting them from the server (the next plan creates them anew)')
    .action(async (addresses: string[], options: CommonOptions & StateOptions & LockOptions) => {
      const timeoutMs = parseDuration(options.lockTimeout ?? '0');
      const backend = backendFor(io, options);
      const lock = await backend.lock({ command: 'state rm', timeoutMs });
      try {
        if (lock.notice !== null) io.stderr.write(`${lock.notice}\n`);
        const { state: current, replayed } = await replayJournal(backend);
        if (replayed > 0) io.stderr.write(`Recorded ${replayed} operation(s) left in the journal by an interrupted run.\n`);
        if (current === null) throw noState(backend);
        const missing = addresses.filter((address) => recordAt(current, parseAddress(address)) === undefined);
        if (missing.length > 0) throw notInState(backend, missing);
        const assistants = { ...current.assistants };
        const files = { ...current.files };
        const removed: string[] = [];
        for (const text of new Set(addresses)) {
          const address = parseAddress(text);
          const id = recordAt(current, address)?.id ?? '';
          if (address.kind === 'file') delete files[address.name];
          else delete assistants[address.key];
          removed.push(`Removed ${text} (${id}) from the state; it still exists on the server.\n`);
        }
        await backend.write({ ...current, assistants, files });
        io.stdout.write(removed.join(''));
      } finally {
        await lock.release();
      }
    });
}
