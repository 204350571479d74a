/** `assistants import KEY ID`: adopt an existing assistant under a manifest key. */
import type { Command } from 'commander';
import { NotFoundError } from '../../api/errors.js';
import type { AssistantObject } from '../../api/models.js';
import { dictionary, ownEntry } from '../../dictionary.js';
import { UserError } from '../../errors.js';
import { formatOwner, OWNERSHIP_METADATA_KEY, otherOwner, parseOwner } from '../../plan/ownership.js';
import { readLive } from '../../plan/refresh.js';
import { ourUploadCandidates, readUploadHashes, recognizeUploads, recordRecognized } from '../../plan/uploads.js';
import { fieldHashes, fileLabelsById, liveView } from '../../plan/view.js';
import { newState } from '../../state/format.js';
import { applyJournal } from '../../state/journal.js';
import { TOOL_VERSION } from '../../version.js';
import { addHelp } from '../help.js';
import type { CliIo } from '../io.js';
import { withStateLock } from '../locking.js';
import { addOptions, ENDPOINT, LOCK, MANIFEST, STATE, type CommonOptions, type LockOptions, type StateOptions } from '../options.js';
import { checkStateBelongs, loadDesired, openSession } from '../session.js';
import { desiredScope, withStateBackend } from '../state-backend.js';

const METADATA_LIMIT = 16;

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
      if (!Object.hasOwn(desired.assistants, key)) {
        throw new UserError('USAGE', `import ${key}: the manifest has no assistant with that key; add it under assistants: first (keys: ${Object.keys(desired.assistants).sort().join(', ') || 'none'}).`);
      }
      await withStateBackend(options, desiredScope(desired), io, async (backend) => {
        const session = await openSession(options, io, 'import', desired.endpoint);
        try {
          await withStateLock(backend, 'import', options.lockTimeout, io, async (state) => {
            checkStateBelongs(state, desired, session.endpoint, backend.location);
            const recorded = ownEntry(state?.assistants, key);
            if (recorded) throw new UserError('STATE', `import ${key}: already managed as ${recorded.id}; run "assistants state rm ${key}" first to replace it.`);
            const holder = Object.entries(state?.assistants ?? {}).find(([, r]) => r.id === id);
            if (holder) throw new UserError('STATE', `import ${key}: ${id} is already managed as ${holder[0]}.`);

            let live: AssistantObject;
            try {
              live = await session.assistants.getAssistant({ assistantId: id });
            } catch (error) {
              if (error instanceof NotFoundError) throw new UserError('USAGE', `import ${key}: no assistant ${id} at ${session.endpoint}.`);
              throw error;
            }
            const tag = formatOwner({ project: desired.project, environment: desired.environment, key });
            const other = otherOwner(live.metadata, { project: desired.project, environment: desired.environment, key });
            if (other) throw new UserError('STATE', `import ${key}: ${id} is owned by ${formatOwner(other)}; it will not be taken from its owner.`);
            const owner = parseOwner(live.metadata);
            const metadata = { ...(live.metadata ?? {}), [OWNERSHIP_METADATA_KEY]: tag };
            if (Object.keys(metadata).length > METADATA_LIMIT) {
              throw new UserError('USAGE', `import ${key}: ${id} already has ${METADATA_LIMIT} metadata keys, so the ownership tag cannot be added; remove one first.`);
            }
            const tagged = owner ? live : await session.assistants.modifyAssistant({ assistantId: id, modifyAssistantRequest: { metadata } });
            const base = state ?? (await backend.write(newState({ project: desired.project, environment: desired.environment, endpoint: session.endpoint, toolVersion: TOOL_VERSION })));
            // Its attachments that are uploads of the manifest files it attaches and the state
            // does not record yet, by the rule of plan/uploads.ts.
            const unrecorded = new Map(
              (desired.assistants[key]?.files ?? []).filter((name) => !Object.hasOwn(base.files, name)).flatMap((name) => {
                const file = ownEntry(desired.files, name);
                return file ? [[name, file] as const] : [];
              }),
            );
            const account = await readLive(session.assistants, session.files);
            const candidates = ourUploadCandidates(account, { ...desired, files: dictionary(unrecorded) }, base).filter((f) => tagged.fileIds.includes(f.id));
            const found = recognizeUploads(candidates, await readUploadHashes(session.files, candidates), unrecorded);
            const at = new Date().toISOString();
            const withFiles = recordRecognized(base, found, unrecorded, at);
            const applied = fieldHashes(liveView(tagged, fileLabelsById(withFiles.files)));
            const sensitive = desired.assistants[key]?.sensitive ?? [];
            await backend.write(applyJournal(withFiles, [{ op: 'assistant.updated', key, id, applied, ...(sensitive.length > 0 ? { sensitive } : {}), at }]));
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
