/**
 * `assistants state rebuild`: recreate a lost state from the ownership tags on the
 * server and the manifest. Files carry no tags: the uploads attached to the tagged
 * assistants are recognised by the rule of plan/uploads.ts (name, size, and content where
 * the server serves it).
 */
import type { Command } from 'commander';
import { rebuildBase, rebuiltState } from '../../plan/adoption.js';
import { readWholeAccount } from '../planning.js';
import { ourUploadCandidates, readUploadHashes, recognizeUploads } from '../../plan/uploads.js';
import { newState } from '../../state/format.js';
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
            const live = await readWholeAccount(session);
            const now = new Date().toISOString();
            const kept = rebuildBase(previous ?? newState({ project: desired.project, environment: desired.environment, endpoint: session.endpoint, toolVersion: TOOL_VERSION }), session.endpoint);
            const candidates = ourUploadCandidates(live, desired, kept);
            const found = recognizeUploads(candidates, await readUploadHashes(session.files, candidates), new Map(Object.entries(desired.files)));
            const { state, duplicates } = rebuiltState(desired, kept, live, found, now);
            await backend.write(state);
            io.stdout.write(
              `Rebuilt ${backend.location}: ${Object.keys(state.assistants).length} assistant(s), ${Object.keys(state.files).length} file(s).\n` +
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
