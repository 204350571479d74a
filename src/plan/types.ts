/**
 * A Plan: everything `apply` will do, as plain data. Renderers read only this (in its
 * JSON form); the applier runs only this. Schema: `schemas/plan.schema.json`.
 */
import type { JsonValue } from '../json.js';
import type { AssistantField } from '../assistant-fields.js';
import type { SensitivePath } from '../redaction.js';

export const PLAN_FORMAT_VERSION = 2;

/**
 * What apply does to an assistant. create, update, delete: the request of that name;
 * record: a refresh-only plan's drift, whose server values apply writes into the state as
 * applied, sending nothing; no-op: no request (the state may still change: an adopted
 * assistant is recorded, the record of one deleted outside is dropped).
 */
export type AssistantAction = 'create' | 'update' | 'delete' | 'record' | 'no-op';
export type FileAction = 'upload' | 'delete' | 'no-op';

/**
 * Why an action is planned.
 * - new: in the manifest, not yet created (or recorded but gone from the server).
 * - changed-in-manifest: the manifest differs from what was last applied.
 * - drift: the server differs from what was last applied (changed by hand).
 * - removed-from-manifest: recorded or tagged as ours, no longer in the manifest.
 * - orphan: tagged as ours under a key the state already maps to another object
 *   (a duplicate left by a retried create), or under a key no longer in the manifest.
 * - adopt: tagged as ours under a manifest key, but missing from the state.
 * - unchanged: nothing to do.
 * - gone: recorded in state but deleted outside; the record is dropped (and, when the
 *   key is still in the manifest, the assistant is created again).
 * - destroy: `assistants destroy` deletes everything this project and environment own.
 * - replace: `--replace KEY` asked for the assistant to be deleted and created again (a
 *   delete and a create of the same key, the delete first).
 */
export type ActionReason =
  | 'new'
  | 'changed-in-manifest'
  | 'drift'
  | 'removed-from-manifest'
  | 'orphan'
  | 'adopt'
  | 'unchanged'
  | 'gone'
  | 'destroy'
  | 'replace';

/** An assistant as the plan shows it: file attachments by manifest file name where known. */
export interface AssistantView {
  model: string;
  name: string | null;
  description: string | null;
  instructions: string | null;
  tools: JsonValue[];
  /** Manifest file names for files we manage, raw `file-...` ids for any other. */
  files: string[];
  /** Metadata, including the ownership entry, so a missing or changed tag shows as a change. */
  metadata: Record<string, string>;
}

export interface FieldChange {
  field: AssistantField;
  before: JsonValue;
  after: JsonValue;
  /** manifest: the manifest changed; drift: the server changed outside the tool. */
  cause: 'manifest' | 'drift';
}

/**
 * A part of an assistant whose values the plan does not carry: in `before`, `after` and
 * `changes` it reads (sensitive) (tools: a list of that one string).
 */
export interface SensitivePart {
  path: SensitivePath;
  /** The update changes it. For a metadata entry this is the only way to tell; for a field, `changes` says so too. */
  changed: boolean;
}

export interface AssistantChange {
  key: string;
  action: AssistantAction;
  reason: ActionReason;
  /** The remote id when the object exists (update, delete, no-op, adopt). */
  id: string | null;
  before: AssistantView | null;
  after: AssistantView | null;
  /** For update: each changed field; for record: each field that drifted. Empty otherwise. */
  changes: FieldChange[];
  /** Fields that differ but are listed in lifecycle.ignore_changes. */
  ignored: AssistantField[];
  /** Parts made with a sensitive variable (now, or when last applied): shown as (sensitive). */
  sensitive: SensitivePart[];
}

export interface FileChange {
  name: string;
  action: FileAction;
  reason: ActionReason;
  /** The current remote id (delete, no-op, or the one an upload replaces). */
  id: string | null;
  path: string | null;
  filename: string;
  bytes: number;
  sha256: string;
  /** For an upload that replaces a file: the content hash it replaces. */
  previousSha256: string | null;
}

/** Something the planner saw and the reader should know, that is not an action. */
export interface PlanNote {
  level: 'warning' | 'info';
  key: string | null;
  message: string;
}

export interface PlanSummary {
  add: number;
  change: number;
  destroy: number;
  filesUpload: number;
  filesDelete: number;
}

export type PlanMode = 'normal' | 'refresh-only' | 'destroy';

export interface Plan {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  toolVersion: string;
  /** ISO time the plan was made. */
  createdAt: string;
  mode: PlanMode;
  /**
   * The manifest planned: its path relative to the folder the plan was made in, with `/`
   * separators, so `apply PLANFILE` from that folder needs no `-f`.
   */
  manifest: string;
  project: string;
  environment: string;
  /** API base URL the plan was made against, or `local` (never a key). */
  endpoint: string;
  /** Keys given with --target; empty means all. */
  targets: string[];
  files: FileChange[];
  assistants: AssistantChange[];
  notes: PlanNote[];
  summary: PlanSummary;
  /** sha256 of what apply would do (see plan-hash.ts): what `apply --plan-hash` checks. */
  planHash: string;
  /** What the plan was made against, so apply can refuse a stale one. */
  prior: {
    manifestHash: string;
    /** null when there was no state file. */
    lineage: string | null;
    serial: number | null;
    /** id -> sha256 of the canonical JSON of each live object read. */
    liveFingerprints: Record<string, string>;
  };
}
