/**
 * The state file's shape: which manifest key is which remote object, and what was last
 * applied. Never holds the API key. Schema: `schemas/state.schema.json`.
 */
import type { AssistantField } from '../assistant-fields.js';
import type { SensitivePath } from '../redaction.js';

export const STATE_FORMAT_VERSION = 3;

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

/**
 * Uploads of one content that may exist without our knowing their ids: a request given up
 * with no answer (a timeout, a dropped connection, a 5xx), not found by the look-up that
 * followed (the server may still have been at work on it), so the file was uploaded again.
 * An unrecorded upload of this name, size and content, attached to nothing and dated
 * within [since, until], is a leftover of ours (the rule is plan/uploads.ts's).
 */
export interface UnsettledUpload {
  /** The manifest file's name when it was uploaded. */
  name: string;
  sha256: string;
  bytes: number;
  filename: string;
  /** ISO time the first request that may have made such an upload was sent. */
  since: string;
  /** ISO time after which no such upload is expected to be dated. */
  until: string;
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
  /** Windows in which uploads of ours may have landed unseen, by content (sha256); absent when none. */
  unsettledUploads?: Record<string, UnsettledUpload>;
  /** Uploads replaced by a newer one and not yet deleted, by remote id; absent when none. */
  retiredFiles?: Record<string, RetiredFile>;
  /** The last behaviour-test outcome of each assistant tested here, by manifest key; absent when none. */
  testResults?: Record<string, TestRecord>;
  /** What each assistant was last released with here, by manifest key; absent when none. */
  releases?: Record<string, ReleaseRecord>;
}

/**
 * What a successful apply released of one assistant: its promotable content (the
 * manifest's content of it less what differs per environment, hashed by the loader), and
 * where it came from. `apply --promote-from` passes on only content recorded here.
 */
export interface ReleaseRecord {
  /** The remote id the content was applied to. */
  id: string;
  /** sha256 over `fields`: the promotable content as one value. */
  promotable: string;
  /** Per field, the hash of its promotable part. */
  fields: Record<string, string>;
  /** Attached files' content hashes by manifest name (those differing per environment left out). */
  files: Record<string, string>;
  /** The parts set aside as differing per environment (field names, `metadata.KEY`). */
  environmentSpecific: string[];
  /** The manifest's hash applied. */
  manifestHash: string;
  /** The commit applied (GITHUB_SHA, CI_COMMIT_SHA), or null outside CI. */
  commit: string | null;
  /** ISO time. */
  appliedAt: string;
  /** user@host of the applying process. */
  appliedBy: string;
  toolVersion: string;
}

/**
 * What `assistants test` last found of one assistant in this environment: exactly which
 * content it talked to (the fields' hashes, hashed as `applied` is) and whether its tests
 * passed. Promotion reads it to pass on only what was tested.
 */
export interface TestRecord {
  /** The remote id tested. */
  id: string;
  /** Each field's hash as the assistant stood on the server when tested. */
  fields: FieldHashes;
  /** sha256 of the canonical JSON of `fields`: the content tested, as one value. */
  contentHash: string;
  /** `fields` are what the state records as last applied (nothing changed by hand since). */
  asApplied: boolean;
  /** The promotable hash of the release tested, when `asApplied` and a release was recorded. */
  promotable?: string;
  /** passed: every test of it that ran passed. */
  outcome: 'passed' | 'failed';
  /** The tests of this assistant that ran (all of them unless --filter), by name. */
  tests: Record<string, 'passed' | 'failed'>;
  /** The manifest's hash (with every file it reads) when the tests ran. */
  manifestHash: string;
  /** ISO time the run finished. */
  testedAt: string;
  toolVersion: string;
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
