/**
 * `assistants state rebuild`: recreate a lost state from the ownership tags on the
 * server and the manifest. Files carry no tags, so an uploaded file is recognised by
 * name, size and content hash (downloaded only for candidates of the right size).
 */
import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import type { OpenAIFile } from '../../api/models.js';
import { parseOwner } from '../../plan/ownership.js';
import { readLive } from '../../plan/refresh.js';
import { fieldHashes, fileLabelsById, liveView } from '../../plan/view.js';
import { newState } from '../../state/format.js';
import type { FileRecord, StateFile } from '../../state/types.js';
import { TOOL_VERSION } from '../../version.js';
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
      const session = await openSession(options, io);
      try {
        const backend = openBackend(options, desired, io);
        await withStateLock(backend, 'state rebuild', parseDuration(options.lockTimeout ?? '0'), io, async (previous) => {
          const live = await readLive(session.assistants, session.files);
          const now = new Date().toISOString();
          const files: Record<string, FileRecord> = {};
          for (const [name, file] of Object.entries(desired.files)) {
            const match = await findUpload(session.files, live.files, file.filename, file.bytes, file.sha256);
            if (match) files[name] = { id: match.id, sha256: file.sha256, bytes: file.bytes, filename: file.filename, updatedAt: now };
          }
          const assistants: StateFile['assistants'] = {};
          const duplicates: string[] = [];
          const labels = fileLabelsById(files);
          const oldestFirst = [...live.assistants].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
          for (const assistant of oldestFirst) {
            const owner = parseOwner(assistant.metadata);
            if (!owner || owner.project !== desired.project || owner.environment !== desired.environment) continue;
            if (assistants[owner.key]) {
              duplicates.push(`${owner.key}: ${assistant.id}`);
              continue;
            }
            assistants[owner.key] = { id: assistant.id, applied: fieldHashes(liveView(assistant, labels)), updatedAt: now };
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

async function findUpload(
  api: { downloadFile(request: { fileId: string }): Promise<Uint8Array> },
  files: OpenAIFile[],
  filename: string,
  bytes: number,
  sha256: string,
): Promise<OpenAIFile | null> {
  for (const candidate of files) {
    if (candidate.filename !== filename || candidate.bytes !== bytes || candidate.purpose !== 'assistants') continue;
    const content = await api.downloadFile({ fileId: candidate.id });
    if (createHash('sha256').update(content).digest('hex') === sha256) return candidate;
  }
  return null;
}
