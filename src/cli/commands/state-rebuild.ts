/**
 * `assistants state rebuild`: recreate a lost state from the ownership tags on the
 * server and the manifest. Files carry no tags, so an uploaded file is recognised by
 * name, size and content hash (downloaded only for candidates of the right size).
 */
import type { Command } from 'commander';
import { dictionary } from '../../dictionary.js';
import { parseOwner } from '../../plan/ownership.js';
import { readLive } from '../../plan/refresh.js';
import { fieldHashes, fileLabelsById, liveView } from '../../plan/view.js';
import { newState } from '../../state/format.js';
import type { StateFile } from '../../state/types.js';
import { TOOL_VERSION } from '../../version.js';
import { recognizeUploads } from '../adopt-files.js';
import type { CliIo } from '../io.js';
import { withStateLock } from '../locking.js';
import { addCommonOptions, type CommonOptions } from '../options.js';
import { loadDesired, openBackend, openSession } from '../session.js';
import { parseDuration } from '../option-parsers.js';
import { addLockTimeoutOption, addStateOption, type LockOptions, type StateOptions } from '../state-options.js';
import { stateCommand } from './state.js';

export function register(program: Command, io: CliIo): void {
  addLockTimeoutOption(addStateOption(addCommonOptions(stateCommand(program).command('rebuild'))))
    .description('recreate the state from the ownership tags on the server (replaces the current state; the old one is kept as .backup)')
    .action(async (options: CommonOptions & StateOptions & LockOptions) => {
      const desired = await loadDesired(options, io);
      const session = await openSession(options, io, 'state rebuild');
      try {
        const backend = openBackend(options, desired, io);
        await withStateLock(backend, 'state rebuild', parseDuration(options.lockTimeout ?? '0'), io, async (previous) => {
          const live = await readLive(session.assistants, session.files);
          const now = new Date().toISOString();
          const files = await recognizeUploads(session.files, live.files, desired.files);
          const assistants: StateFile['assistants'] = dictionary();
          const duplicates: string[] = [];
          const labels = fileLabelsById(files);
          const oldestFirst = [...live.assistants].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
          for (const assistant of oldestFirst) {
            const owner = parseOwner(assistant.metadata);
            if (!owner || owner.project !== desired.project || owner.environment !== desired.environment) continue;
            if (Object.hasOwn(assistants, owner.key)) {
              duplicates.push(`${owner.key}: ${assistant.id}`);
              continue;
            }
            const sensitive = desired.assistants[owner.key]?.sensitive ?? [];
            assistants[owner.key] = { id: assistant.id, applied: fieldHashes(liveView(assistant, labels)), updatedAt: now, ...(sensitive.length > 0 ? { sensitive } : {}) };
          }
          const base = previous ?? newState({ project: desired.project, environment: desired.environment, endpoint: session.endpoint, toolVersion: TOOL_VERSION });
          await backend.write({ ...base, endpoint: session.endpoint, assistants, files });
          io.stdout.write(
            `Rebuilt ${backend.location}: ${Object.keys(assistants).length} assistant(s), ${Object.keys(files).length} file(s).\n` +
              (duplicates.length > 0 ? `Duplicates left out (the next plan deletes them as orphans): ${duplicates.join(', ')}\n` : ''),
          );
        });
      } finally {
        await session.close();
      }
    });
}
