/**
 * `assistants state rebuild`: recreate a lost state from the ownership tags on the
 * server and the manifest. Files carry no tags: the uploads attached to the tagged
 * assistants are recognised by the rule of plan/uploads.ts (name, size, and content where
 * the server serves it).
 */
import type { Command } from 'commander';
import { dictionary } from '../../dictionary.js';
import { parseOwner } from '../../plan/ownership.js';
import { readLive } from '../../plan/refresh.js';
import { ourUploadCandidates, readUploadHashes, recognizeUploads, recordRecognized } from '../../plan/uploads.js';
import { fieldHashes, fileLabelsById, liveView } from '../../plan/view.js';
import { newState } from '../../state/format.js';
import type { StateFile } from '../../state/types.js';
import { TOOL_VERSION } from '../../version.js';
import { addHelp } from '../help.js';
import type { CliIo } from '../io.js';
import { withStateLock } from '../locking.js';
import { addOptions, ENDPOINT, LOCK, MANIFEST, STATE, type CommonOptions, type LockOptions, type StateOptions } from '../options.js';
import { loadDesired, openSession } from '../session.js';
import { desiredScope, withStateBackend } from '../state-backend.js';
import { stateCommand } from './state.js';

export function register(program: Command, io: CliIo): void {
  addHelp(addOptions(stateCommand(program).command('rebuild'), [], MANIFEST, ENDPOINT, STATE, LOCK), {
    summary: 'Recreate the state from the ownership tags on the server',
    about:
      'For a lost or broken state: finds the assistants tagged for this project and environment, and the uploads of the manifest\'s files they attach, and writes ' +
      'a new state from them (the old one is kept as .backup). Also re-points a state at another endpoint (--endpoint).',
    examples: [['assistants state rebuild --env prod', 'recover the prod state from the tags']],
    exits: [3, 130],
  }).action(async (options: CommonOptions & StateOptions & LockOptions) => {
      const desired = await loadDesired(options, io);
      await withStateBackend(options, desiredScope(desired), io, async (backend) => {
        const session = await openSession(options, io, 'state rebuild', desired.endpoint);
        try {
          await withStateLock(backend, 'state rebuild', options.lockTimeout, io, async (previous) => {
            const live = await readLive(session.assistants, session.files);
            const now = new Date().toISOString();
            const base = previous ?? newState({ project: desired.project, environment: desired.environment, endpoint: session.endpoint, toolVersion: TOOL_VERSION });
            // Everything is found again, except the retired uploads the state keeps to delete.
            const kept: StateFile = { ...base, endpoint: session.endpoint, assistants: dictionary(), files: dictionary() };
            const candidates = ourUploadCandidates(live, desired, kept);
            const wanted = new Map(Object.entries(desired.files));
            const found = recognizeUploads(candidates, await readUploadHashes(session.files, candidates), wanted);
            const withFiles = recordRecognized(kept, found, wanted, now);
            const assistants: StateFile['assistants'] = dictionary();
            const duplicates: string[] = [];
            const labels = fileLabelsById(withFiles.files);
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
            await backend.write({ ...withFiles, assistants });
            io.stdout.write(
              `Rebuilt ${backend.location}: ${Object.keys(assistants).length} assistant(s), ${Object.keys(withFiles.files).length} file(s).\n` +
                (duplicates.length > 0 ? `Duplicates left out (the next plan deletes them as orphans): ${duplicates.join(', ')}\n` : '') +
                (found.surplus.length > 0
                  ? `Duplicate uploads recorded for deletion by the next apply: ${found.surplus.map(({ name, file }) => `${name}: ${file.id}`).join(', ')}\n`
                  : ''),
            );
          });
        } finally {
          await session.close();
        }
      });
    });
}
