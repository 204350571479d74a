/** `assistants import KEY ID`: adopt an existing assistant under a manifest key. */
import type { Command } from 'commander';
import { NotFoundError } from '../../api/errors.js';
import type { AssistantObject } from '../../api/models.js';
import { UserError } from '../../errors.js';
import { importProblem, importRecords, importTagging, importUploads } from '../../plan/adoption.js';
import { readWholeAccount } from '../planning.js';
import { readUploadHashes } from '../../plan/uploads.js';
import { newState } from '../../state/format.js';
import { applyJournal } from '../../state/journal.js';
import { TOOL_VERSION } from '../../version.js';
import { addHelp } from '../help.js';
import type { CliIo } from '../io.js';
import { withStateLock } from '../locking.js';
import { addOptions, ENDPOINT, LOCK, MANIFEST, STATE, type CommonOptions, type LockOptions, type StateOptions } from '../options.js';
import { checkStateBelongs, loadDesired, openSession } from '../session.js';
import { desiredScope, withStateBackend } from '../state-backend.js';

export function register(program: Command, io: CliIo): void {
  const command = addOptions(program.command('import'), [], MANIFEST, ENDPOINT, STATE, LOCK)
    .argument('<key>', "the assistant's key in the manifest")
    .argument('<id>', "the existing assistant's id (asst_...)");
  addHelp(command, {
    summary: 'Adopt an existing assistant under a manifest key',
    about:
      'Tags the assistant as owned by this project and environment and records it in the state, with the manifest files it attaches; nothing else changes. ' +
      'The next plan shows how it differs from the manifest. An assistant another project owns is refused.',
    examples: [['assistants import support asst_abc123', 'manage asst_abc123 as the manifest\'s assistant "support"']],
    exits: [3, 130],
  });
  command.action(async (key: string, id: string, options: CommonOptions & StateOptions & LockOptions) => {
      const desired = await loadDesired(options, io);
      const early = importProblem(desired, null, key, id);
      if (early) throw new UserError('USAGE', `import ${key}: ${early}`);
      await withStateBackend(options, desiredScope(desired), io, async (backend) => {
        const session = await openSession(options, io, 'import', desired.endpoint);
        try {
          await withStateLock(backend, 'import', options.lockTimeout, io, async (state) => {
            checkStateBelongs(state, desired, session.endpoint, backend.location);
            const problem = importProblem(desired, state, key, id);
            if (problem) throw new UserError('STATE', `import ${key}: ${problem}`);
            let live: AssistantObject;
            try {
              live = await session.assistants.getAssistant({ assistantId: id });
            } catch (error) {
              if (error instanceof NotFoundError) throw new UserError('USAGE', `import ${key}: no assistant ${id} at ${session.endpoint}.`);
              throw error;
            }
            const tagging = importTagging(live, { project: desired.project, environment: desired.environment, key });
            if ('refused' in tagging) throw new UserError(tagging.reason === 'metadata-full' ? 'USAGE' : 'STATE', `import ${key}: ${tagging.refused}`);
            const base = state ?? (await backend.write(newState({ project: desired.project, environment: desired.environment, endpoint: session.endpoint, toolVersion: TOOL_VERSION })));
            const tagged = tagging.metadata === null ? live : await session.assistants.modifyAssistant({ assistantId: id, modifyAssistantRequest: { metadata: tagging.metadata } });
            // Tagged, it is ours: a process killed from here until the journal has its record
            // leaves it to the next plan, which adopts an assistant tagged for its key.
            const uploads = importUploads(desired, base, key, tagged, await readWholeAccount(session));
            const hashes = await readUploadHashes(session.files, uploads.candidates);
            const { state: withFiles, entry, found } = importRecords(desired, base, key, tagged, uploads, hashes, new Date().toISOString());
            await backend.appendJournal(entry);
            await backend.write(applyJournal(withFiles, [entry]));
            await backend.clearJournal();
            const files = [...found.adopt.keys()];
            io.stdout.write(
              `Imported ${id} as ${key}${files.length > 0 ? `, with its file(s) ${files.join(', ')}` : ''}. Run "assistants plan" to see how it differs from the manifest.\n`,
            );
          });
        } finally {
          await session.close();
        }
      });
    });
}
