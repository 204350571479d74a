/**
 * The loader's output: the desired state, as plain data. Nothing downstream reads the
 * manifest file again; the planner and the applier work from this alone.
 */
import type { AssistantField, AssistantTool, Metadata } from '../assistant-fields.js';
import type { SensitivePath } from '../redaction.js';
import type { PromotableContent } from './promotable.js';

/** The manifest format this tool reads (`version:`; schemas/manifest.schema.json). */
export const MANIFEST_FORMAT_VERSION = 1;

/** Where something came from, for error messages: 1-based line and column. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

export interface DesiredFile {
  /** The name under `files:` in the manifest. */
  name: string;
  /** Absolute path on disk. */
  path: string;
  /** The file name the API is given on upload (the path's basename). */
  filename: string;
  bytes: number;
  /** Hex sha256 of the content. */
  sha256: string;
}

/** Every assistant field the API stores and the manifest can set. */
export interface AssistantSpec {
  model: string;
  name: string | null;
  description: string | null;
  instructions: string | null;
  tools: AssistantTool[];
  /** User metadata only: the ownership entry is added by the planner, never here. */
  metadata: Metadata;
}


export interface Lifecycle {
  preventDestroy: boolean;
  ignoreChanges: AssistantField[];
}

export interface DesiredAssistant {
  key: string;
  spec: AssistantSpec;
  /** Names from `files:`, in manifest order. */
  files: string[];
  /** The parts made with a sensitive variable: never shown, kept in the state only as hashes. */
  sensitive: SensitivePath[];
  lifecycle: Lifecycle;
  /** Its content less what differs per environment: what promotion compares. */
  promotable: PromotableContent;
  source: SourcePosition;
}

/** The manifest's `backend:` block: where the state lives, never how to log in there. */
export interface ManifestBackend {
  type: 'local' | 'pg';
  /** pg only: the schema of the state tables. */
  schema?: string;
}

export interface DesiredState {
  /** Scopes ownership: the tag on every managed assistant names it. */
  project: string;
  /** Absent when the manifest has no `backend:` block. */
  backend?: ManifestBackend;
  environment: string;
  /** The environment's `endpoint:`, as written (a base URL, or `local`); absent when it names none. */
  endpoint?: string;
  /** Absolute path of the manifest file. */
  manifestPath: string;
  /** sha256 over the manifest and every file it reads, for stale-plan checks. */
  manifestHash: string;
  files: Record<string, DesiredFile>;
  assistants: Record<string, DesiredAssistant>;
}
