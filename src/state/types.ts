/**
 * The state file's shape: which manifest key is which remote object, and what was last
 * applied. Never holds the API key. Schema: `schemas/state.schema.json`.
 */
import type { AssistantField } from '../manifest/types.js';
import type { SensitivePath } from '../redaction.js';

export const STATE_FORMAT_VERSION = 1;

/** sha256 (hex) of the canonical JSON of each field's value as last applied. */
export type FieldHashes = Record<AssistantField, string>;

export interface AssistantRecord {
  id: string;
  /** What was last applied, field by field, so drift can be told from manifest edits. */
  applied: FieldHashes;
  /** ISO time of the last write of this record. */
  updatedAt: string;
  /** Parts applied from a sensitive variable, so a plan keeps hiding them (absent when none). */
  sensitive?: SensitivePath[];
}

export interface FileRecord {
  id: string;
  sha256: string;
  bytes: number;
  filename: string;
  updatedAt: string;
}

/**
 * An upload that was started but not seen to finish. Files carry no ownership tag, so
 * this intent is how a later run recognises (by name, size, content and time) an upload
 * that reached the server before its process died, instead of uploading it twice.
 */
export interface PendingUpload {
  sha256: string;
  bytes: number;
  filename: string;
  /** ISO time the upload started. */
  startedAt: string;
}

export interface StateFile {
  version: typeof STATE_FORMAT_VERSION;
  /** Fixed when the state is first created; a saved plan names it. */
  lineage: string;
  /** Incremented on every write. */
  serial: number;
  toolVersion: string;
  project: string;
  environment: string;
  /** The API base URL this state belongs to (never a key). */
  endpoint: string;
  assistants: Record<string, AssistantRecord>;
  files: Record<string, FileRecord>;
  /** Uploads started and not known to have finished, by manifest file name; absent when none. */
  pendingUploads?: Record<string, PendingUpload>;
  /** Uploads replaced by a newer one and not yet deleted, by remote id; absent when none. */
  retiredFiles?: Record<string, RetiredFile>;
}

/** An upload of ours that a newer upload of the same file replaced: still ours to delete. */
export interface RetiredFile {
  name: string;
  sha256: string;
  bytes: number;
  filename: string;
  /** ISO time it was replaced. */
  since: string;
}
