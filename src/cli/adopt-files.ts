/**
 * Recognising uploads of the manifest's files among the files on the server. Files carry
 * no ownership tag, so a file is ours when name, size and content (downloaded only for
 * candidates of the right name and size) all match. Used by `state rebuild` and `import`.
 */
import { createHash } from 'node:crypto';
import type { FilesApi } from '../api/index.js';
import { dictionary } from '../dictionary.js';
import type { OpenAIFile } from '../api/models.js';
import type { DesiredFile } from '../manifest/types.js';
import type { FileRecord } from '../state/types.js';

export async function recognizeUploads(
  api: FilesApi,
  candidates: readonly OpenAIFile[],
  wanted: Record<string, DesiredFile>,
): Promise<Record<string, FileRecord>> {
  const records = dictionary<FileRecord>();
  const taken = new Set<string>();
  const now = new Date().toISOString();
  for (const [name, file] of Object.entries(wanted)) {
    for (const candidate of candidates) {
      if (taken.has(candidate.id) || candidate.purpose !== 'assistants') continue;
      if (candidate.filename !== file.filename || candidate.bytes !== file.bytes) continue;
      const content = await api.downloadFile({ fileId: candidate.id });
      if (createHash('sha256').update(content).digest('hex') !== file.sha256) continue;
      taken.add(candidate.id);
      records[name] = { id: candidate.id, sha256: file.sha256, bytes: file.bytes, filename: file.filename, updatedAt: now };
      break;
    }
  }
  return records;
}
