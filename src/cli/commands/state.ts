/**
 * `state list`, `state show ADDRESS`, `state rm ADDRESS...`. An address is a manifest
 * key for an assistant, or `file:NAME` for an uploaded file. `state rebuild` is
 * registered elsewhere on the same `state` command (see `stateCommand`).
 */
import { Option, type Command } from 'commander';
import { dictionaryOf, ownEntry } from '../../dictionary.js';
import { UserError } from '../../errors.js';
import { stringifySorted } from '../../canonical-json.js';
import type { StateBackend, StateHistory } from '../../state/backend.js';
import { readWithJournal } from '../../state/recover.js';
import type { AssistantRecord, FileRecord, StateFile } from '../../state/types.js';
import { NotFoundError } from '../../api/errors.js';
import type { AssistantObject } from '../../api/models.js';
import { releaseTagging } from '../../plan/adoption.js';
import { addHelp } from '../help.js';
import type { CliIo } from '../io.js';
import { withStateLock } from '../locking.js';
import { openSession } from '../session.js';
import { withStateBackend } from '../state-backend.js';
import { addOptions, ENDPOINT, LOCATION, LOCK, STATE, type EndpointOptions, type LockOptions, type ManifestOptions, type StateOptions } from '../options.js';
import { positiveInt } from '../option-parsers.js';
import { releaseTable } from '../release-table.js';

/** How an address names an uploaded file: `file:NAME`. */
export const FILE_PREFIX = 'file:';

/** "KEY<tab>ID" per assistant, then "file:NAME<tab>ID" per file, sorted: `state list` and `output`. */
export function stateLines(state: StateFile): string {
  const lines = [
    ...Object.keys(state.assistants).sort().map((key) => `${key}\t${state.assistants[key]?.id ?? ''}`),
    ...Object.keys(state.files).sort().map((name) => `${FILE_PREFIX}${name}\t${state.files[name]?.id ?? ''}`),
  ];
  return lines.map((line) => `${line}\n`).join('');
}

type StateRmOptions = ManifestOptions & EndpointOptions & StateOptions & LockOptions;

type Address = { kind: 'assistant'; key: string } | { kind: 'file'; name: string };

function parseAddress(text: string): Address {
  return text.startsWith(FILE_PREFIX) ? { kind: 'file', name: text.slice(FILE_PREFIX.length) } : { kind: 'assistant', key: text };
}

function recordAt(state: StateFile, address: Address): AssistantRecord | FileRecord | undefined {
  return address.kind === 'file' ? ownEntry(state.files, address.name) : ownEntry(state.assistants, address.key);
}

function noState(backend: StateBackend): UserError {
  return new UserError('STATE', `${backend.location}: no state yet (nothing was applied to this environment, or --env/--state point elsewhere)`);
}

function notInState(backend: StateBackend, addresses: readonly string[]): UserError {
  return new UserError(
    'STATE',
    `${backend.location}: not in the state: ${addresses.join(', ')}; "assistants state list" shows what it holds`,
  );
}

/** The backend's history, or a USAGE error saying which backend keeps one. */
export function historyOf(backend: StateBackend): StateHistory {
  if (backend.history === null) {
    throw new UserError(
      'USAGE',
      `${backend.location}: the local state file keeps only the previous version (.backup); every serial is kept by the pg backend (--state-backend pg)`,
    );
  }
  return backend.history;
}

/** The `state` command group, created on first use so other files can add subcommands to it. */
export function stateCommand(program: Command): Command {
  return (
    program.commands.find((command) => command.name() === 'state') ??
    program
      .command('state')
      .summary('Inspect and repair the state')
      .description('Inspect and repair the state: what this tool created and manages, per project and environment.')
  );
}

export function register(program: Command, io: CliIo): void {
  const state = stateCommand(program);

  addHelp(addOptions(state.command('list'), [], LOCATION, STATE), {
    summary: 'List what the state tracks',
    about: 'Prints "KEY<tab>ID" per assistant, then "file:NAME<tab>ID" per uploaded file, sorted. Reads the state only; no request is sent.',
    examples: [['assistants state list --env prod', 'what the prod state manages']],
  }).action(async (options: ManifestOptions & StateOptions) => {
      await withStateBackend(options, {}, io, async (backend) => {
        const current = await readWithJournal(backend);
        if (current === null) {
          io.stderr.write(`No state at ${backend.location}.\n`);
          return;
        }
        io.stdout.write(stateLines(current));
      });
    });

  addHelp(
    addOptions(
      state.command('show'),
      [
        new Option('--serial <n>', 'the state as written at this serial (see "assistants state history")').argParser(positiveInt('--serial')),
        new Option('--releases', "list what each assistant was released with: content hash, commit, when, by whom, and its tests' outcome"),
      ],
      LOCATION,
      STATE,
    ).argument(
      '[address]',
      'an assistant key, or file:NAME (default: the whole state)',
    ),
    {
      summary: 'Print the state, or one record of it, as JSON',
      about: 'The state as stored (ids, hashes of what was applied, when), with what an unfinished run left in the journal. Reads the state only.',
      examples: [
        ['assistants state show support', 'the record of the assistant "support"'],
        ['assistants state show --serial 12 --state-backend pg', 'the state as it was at serial 12'],
        ['assistants state show --env prod --releases', "what prod's assistants were released with, and their tests"],
      ],
    },
  ).action(async (address: string | undefined, options: ManifestOptions & StateOptions & { serial?: number; releases?: boolean }) => {
      const { serial } = options;
      await withStateBackend(options, {}, io, async (backend) => {
        const current = serial === undefined ? await readWithJournal(backend) : await historyOf(backend).read(serial);
        if (current === null) throw noState(backend);
        if (options.releases) {
          const keys = address === undefined ? undefined : [address];
          if (keys !== undefined && ownEntry(current.releases, address ?? '') === undefined) throw notInState(backend, [`the release of ${address ?? ''}`]);
          const table = releaseTable(current, keys);
          if (table === null) io.stderr.write(`No releases recorded at ${backend.location} yet: a successful apply records them.\n`);
          else io.stdout.write(table);
          return;
        }
        if (address === undefined) {
          io.stdout.write(stringifySorted(current));
          return;
        }
        const record = recordAt(current, parseAddress(address));
        if (record === undefined) throw notInState(backend, [address]);
        io.stdout.write(stringifySorted(record));
      });
    });

  addHelp(addOptions(state.command('rm'), [], LOCATION, ENDPOINT, STATE, LOCK).argument('<address...>', 'assistant keys, or file:NAME'), {
    summary: 'Stop managing objects: forget them and release their ownership tags',
    about: 'Removes the records from the state and takes the ownership tag off each assistant; nothing is deleted on the server. Use it to hand an assistant over to someone else.',
    examples: [['assistants state rm support', 'stop managing the assistant "support", leaving it on the server']],
    exits: [3, 130],
  }).action(async (addresses: string[], options: StateRmOptions) => {
      await withStateBackend(options, {}, io, (backend) =>
        withStateLock(backend, 'state rm', options.lockTimeout, io, async (current) => {
          if (current === null) throw noState(backend);
          const missing = addresses.filter((address) => recordAt(current, parseAddress(address)) === undefined);
          if (missing.length > 0) throw notInState(backend, missing);
          const unique = [...new Set(addresses)].map(parseAddress);
          const keys = unique.flatMap((address) => (address.kind === 'assistant' ? [address.key] : []));
          // A forgotten assistant that kept its tag would be adopted again by the next plan,
          // or deleted as an orphan once its key left the manifest.
          if (keys.length > 0) await releaseOwnership(backend, current, keys, options, io);
          const assistants = dictionaryOf(current.assistants);
          const files = dictionaryOf(current.files);
          const removed: string[] = [];
          for (const address of unique) {
            if (address.kind === 'file') {
              removed.push(`Removed ${FILE_PREFIX}${address.name} (${files[address.name]?.id ?? ''}) from the state; the file still exists on the server.\n`);
              delete files[address.name];
            } else {
              removed.push(`Removed ${address.key} (${assistants[address.key]?.id ?? ''}) from the state and released its ownership tag; it still exists on the server.\n`);
              delete assistants[address.key];
            }
          }
          await backend.write({ ...current, assistants, files });
          await backend.clearJournal();
          io.stdout.write(removed.join(''));
        }),
      );
    });
}

/**
 * Takes the ownership tag off each recorded assistant that still exists (at the state's
 * endpoint by default), when the tag is this state's: another owner's tag stays. Each
 * release is journalled as apply journals its operations, so a process killed after some
 * leaves them forgotten by the next run instead of tagged again by the next plan.
 */
async function releaseOwnership(backend: StateBackend, current: StateFile, keys: string[], options: StateRmOptions, io: CliIo): Promise<void> {
  const endpoint = options.endpoint ?? current.endpoint;
  const session = await openSession({ ...options, endpoint }, io, 'state rm');
  try {
    if (session.endpoint !== current.endpoint) {
      throw new UserError('STATE', `the state belongs to endpoint ${current.endpoint}, not ${session.endpoint}; drop --endpoint or give that one.`);
    }
    for (const key of keys) {
      const id = current.assistants[key]?.id ?? '';
      let live: AssistantObject | null = null;
      try {
        live = await session.assistants.getAssistant({ assistantId: id });
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
      const metadata = live === null ? null : releaseTagging(live, { project: current.project, environment: current.environment, key });
      if (metadata !== null) await session.assistants.modifyAssistant({ assistantId: id, modifyAssistantRequest: { metadata } });
      await backend.appendJournal({ op: 'assistant.released', key, id, at: new Date().toISOString() });
    }
  } finally {
    await session.close();
  }
}
