/**
 * The journal: plain-data records of finished operations, appended (durably) as the
 * applier (or `import`, `state rm`) works and folded into the state at the end, or on the next start if the
 * process died first. Folding is idempotent, so replaying a journal that was already
 * folded (a crash between writing the state and clearing the journal) changes nothing.
 */
import type { SensitivePath } from '../redaction.js';
import { dictionaryOf } from '../dictionary.js';
import type { FieldHashes, StateFile, UnsettledUpload } from './types.js';

export interface AssistantWrittenEntry {
  op: 'assistant.created' | 'assistant.updated';
  key: string;
  id: string;
  /** Every field's hash as now applied (the whole map, not only what changed). */
  applied: FieldHashes;
  /** The parts applied from a sensitive variable; absent when none. */
  sensitive?: SensitivePath[];
  /** ISO time the operation finished. */
  at: string;
}

/** Deleted on the server (apply), or released: its tag taken off (`state rm`). Either way its record is forgotten. */
export interface AssistantDeletedEntry {
  op: 'assistant.deleted' | 'assistant.released';
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
  /**
   * The upload this one replaces, which stays ours to delete (a retired file); null when
   * none exists on the server (a new file, or one deleted by hand). Absent in journals
   * written by older versions: then whatever was recorded under the name is retired.
   */
  replaces?: string | null;
  at: string;
}

/** Written before an upload is sent; `file.uploaded` for the same name settles it. */
export interface FileUploadStartedEntry {
  op: 'file.upload-started';
  name: string;
  sha256: string;
  bytes: number;
  filename: string;
  at: string;
}

/**
 * An upload request was given up and the look-up after it did not find what it made: the
 * file is sent again, and an upload dated within [since, until] may yet appear. Windows of
 * the same content merge.
 */
export interface FileUploadUnsettledEntry extends UnsettledUpload {
  op: 'file.upload-unsettled';
  at: string;
}

/** The window of that content closed before a plan that looked for its leftovers, and the apply deleted them. */
export interface FileUploadSettledEntry {
  op: 'file.upload-settled';
  sha256: string;
  at: string;
}

export interface FileDeletedEntry {
  op: 'file.deleted';
  name: string;
  id: string;
  at: string;
}

export type JournalEntry =
  | AssistantWrittenEntry
  | AssistantDeletedEntry
  | FileUploadStartedEntry
  | FileUploadedEntry
  | FileUploadUnsettledEntry
  | FileUploadSettledEntry
  | FileDeletedEntry;

export type JournalOp = JournalEntry['op'];

/**
 * The state after the entries, in order. Pure: `state` is not modified. A delete only
 * forgets the record when its id matches, so deleting an untracked duplicate never drops
 * the tracked object under the same key.
 */
export function applyJournal(state: StateFile, entries: readonly JournalEntry[]): StateFile {
  // Keyed by manifest names: `constructor` must be a key, not Object.prototype's member.
  const assistants = dictionaryOf(state.assistants);
  const files = dictionaryOf(state.files);
  const pending = dictionaryOf(state.pendingUploads ?? {});
  const retired = dictionaryOf(state.retiredFiles ?? {});
  const unsettled = dictionaryOf(state.unsettledUploads ?? {});
  for (const entry of entries) {
    switch (entry.op) {
      case 'assistant.created':
      case 'assistant.updated':
        assistants[entry.key] = {
          id: entry.id,
          applied: { ...entry.applied },
          updatedAt: entry.at,
          ...(entry.sensitive !== undefined && entry.sensitive.length > 0 ? { sensitive: [...entry.sensitive] } : {}),
        };
        break;
      case 'assistant.deleted':
      case 'assistant.released':
        if (assistants[entry.key]?.id === entry.id) delete assistants[entry.key];
        break;
      case 'file.upload-started':
        pending[entry.name] = { sha256: entry.sha256, bytes: entry.bytes, filename: entry.filename, startedAt: entry.at };
        break;
      case 'file.uploaded': {
        delete pending[entry.name];
        const replaced = files[entry.name];
        const retires = entry.replaces === undefined || entry.replaces === replaced?.id;
        if (replaced && replaced.id !== entry.id && retires) {
          retired[replaced.id] = { name: entry.name, sha256: replaced.sha256, bytes: replaced.bytes, filename: replaced.filename, since: entry.at };
        }
        files[entry.name] = {
          id: entry.id,
          sha256: entry.sha256,
          bytes: entry.bytes,
          filename: entry.filename,
          updatedAt: entry.at,
        };
        break;
      }
      case 'file.upload-unsettled': {
        const { op: _op, at: _at, ...window } = entry;
        const known = unsettled[entry.sha256];
        unsettled[entry.sha256] = known
          ? { ...window, since: earliest(known.since, window.since), until: latest(known.until, window.until) }
          : window;
        break;
      }
      case 'file.upload-settled':
        delete unsettled[entry.sha256];
        break;
      case 'file.deleted':
        if (files[entry.name]?.id === entry.id) delete files[entry.name];
        delete retired[entry.id];
        break;
    }
  }
  const { pendingUploads: _pending, retiredFiles: _retired, unsettledUploads: _unsettled, ...rest } = state;
  return {
    ...rest,
    assistants,
    files,
    ...(Object.keys(pending).length > 0 ? { pendingUploads: pending } : {}),
    ...(Object.keys(unsettled).length > 0 ? { unsettledUploads: unsettled } : {}),
    ...(Object.keys(retired).length > 0 ? { retiredFiles: retired } : {}),
  };
}

function earliest(a: string, b: string): string {
  return Date.parse(a) <= Date.parse(b) ? a : b;
}

function latest(a: string, b: string): string {
  return Date.parse(a) >= Date.parse(b) ? a : b;
}
