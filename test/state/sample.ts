/** Sample state data for the state tests. */
import { createHash } from 'node:crypto';
import type { JournalEntry } from '../../src/state/journal.js';
import { newState } from '../../src/state/format.js';
import type { FieldHashes, StateFile } from '../../src/state/types.js';

export function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function hashes(seed: string): FieldHashes {
  return {
    model: sha(`${seed}/model`),
    name: sha(`${seed}/name`),
    description: sha(`${seed}/description`),
    instructions: sha(`${seed}/instructions`),
    tools: sha(`${seed}/tools`),
    metadata: sha(`${seed}/metadata`),
    files: sha(`${seed}/files`),
  };
}

export const AT = '2026-01-02T03:04:05.000Z';

export function emptyState(): StateFile {
  return newState({ project: 'demo', environment: 'dev', endpoint: 'http://127.0.0.1:4010/v1', toolVersion: '0.1.0' });
}

/** A state with two assistants and one file. */
export function sampleState(): StateFile {
  return {
    ...emptyState(),
    assistants: {
      support: { id: 'asst_support', applied: hashes('support'), updatedAt: AT },
      billing: { id: 'asst_billing', applied: hashes('billing'), updatedAt: AT },
    },
    files: {
      handbook: { id: 'file-handbook', sha256: sha('handbook'), bytes: 12, filename: 'handbook.md', updatedAt: AT },
    },
  };
}

export function created(key: string, id: string, at = AT): JournalEntry {
  return { op: 'assistant.created', key, id, applied: hashes(key), at };
}

export function uploaded(name: string, id: string, at = AT): JournalEntry {
  return { op: 'file.uploaded', name, id, sha256: sha(name), bytes: name.length, filename: `${name}.txt`, at };
}
