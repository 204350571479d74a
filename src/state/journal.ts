/**
 * The journal: plain-data records of finished operations, appended (durably) as the
 * applier works and folded into the state at the end, or on the next start if the
 * process died first. Folding is idempotent, so replaying a journal that was already
 * folded (a crash between writing the state and clearing the journal) changes nothing.
 */
import type { FieldHashes, StateFile } from './types.js';

export interface AssistantWrittenEntry {
  op: 'assistant.created' | 'assistant.updated';
  key: string;
  id: string;
  /** Every field's hash as now applied (the whole map, not only what changed). */
  applied: FieldHashes;
  /** ISO time the operation finished. */
  at: string;
}

export interface AssistantDeletedEntry {
  op: 'assistant.deleted';
  key: string;
  id: string;
  at: string;
}

export interface FileUploadedEntry {
  op: 'file.uploaded';
  name: string;
  id: string;
  sha256: string;
  bytes: number;
  filename: string;
  at: string;
}

export interface FileDeletedEntry {
  op: 'file.deleted';
  name: string;
  id: string;
  at: string;
}

export type JournalEntry = AssistantWrittenEntry | AssistantDeletedEntry | FileUploadedEntry | FileDeletedEntry;

export type JournalOp = JournalEntry['op'];

/**
 * The state after the entries, in order. Pure: `state` is not modified. A delete only
 * forgets the record when its id matches, so deleting an untracked duplicate never drops
 * the tracked object under the same key.
 */
export function applyJournal(state: StateFile, entries: readonly JournalEntry[]): StateFile {
  const assistants = { ...state.assistants };
  const files = { ...state.files };
  for (const entry of entries) {
    switch (entry.op) {
      case 'assistant.created':
      case 'assistant.updated':
        assistants[entry.key] = { id: entry.id, applied: { ...entry.applied }, updatedAt: entry.at };
        break;
      case 'assistant.deleted':
        if (assistants[entry.key]?.id === entry.id) delete assistants[entry.key];
        break;
      case 'file.uploaded':
        files[entry.name] = {
          id: entry.id,
          sha256: entry.sha256,
          bytes: entry.bytes,
          filename: entry.filename,
          updatedAt: entry.at,
        };
        break;
      case 'file.deleted':
        if (files[entry.name]?.id === entry.id) delete files[entry.name];
        break;
    }
  }
  return { ...state, assistants, files };
}
