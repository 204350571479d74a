/**
 * The state file's shape: which manifest key is which remote object, and what was last
 * applied. Never holds the API key. Schema: `schemas/state.schema.json`.
 */
import type { AssistantField } from '../manifest/types.js';

export const STATE_FORMAT_VERSION = 1;

/** sha256 (hex) of the canonical JSON of each field's value as last applied. */
export type FieldHashes = Record<AssistantField, string>;

export interface AssistantRecord {
  id: string;
  /** What was last applied, field by field, so drift can be told from manifest edits. */
  applied: FieldHashes;
  /** ISO time of the last write of this record. */
  updatedAt: string;
}

export interface FileRecord {
  id: string;
  sha256: string;
  bytes: number;
  filename: string;
  updatedAt: string;
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
}
