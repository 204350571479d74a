/**
 * An assistant's fields and their value types, shared by the client, the manifest and the
 * plan: the client's model types re-export them; the manifest and the planner use them
 * without depending on the client.
 */
import type { JsonObject, JsonValue } from './json.js';

/**
 * The assistant fields the manifest sets and the plan compares, in the one order the
 * planner lists their changes and the renderers show them. The manifest's AssistantSpec
 * has exactly these, plus `files`.
 */
export const ASSISTANT_FIELDS = ['model', 'name', 'description', 'instructions', 'tools', 'files', 'metadata'] as const;

export type AssistantField = (typeof ASSISTANT_FIELDS)[number];

export type Metadata = Record<string, string>;

/** The API's limit on an object's metadata entries (one of an assistant's is our ownership tag). */
export const METADATA_LIMIT = 16;

export interface FunctionObject {
  name: string;
  description?: string;
  /** A JSON Schema object, passed through untouched. */
  parameters?: JsonObject;
}

export interface CodeInterpreterTool {
  type: 'code_interpreter';
}
export interface RetrievalTool {
  type: 'retrieval';
}
export interface FunctionTool {
  type: 'function';
  function: FunctionObject;
}
/**
 * A tool of a type this client does not know (a newer API). Kept as received so that
 * planning can show it rather than drop it.
 */
export interface UnknownTool {
  type: string;
  [field: string]: JsonValue | undefined;
}
export type AssistantTool = CodeInterpreterTool | RetrievalTool | FunctionTool;

/** The tool types this version knows; any other is kept as received and shown as unknown. */
export const KNOWN_TOOL_TYPES: ReadonlySet<string> = new Set<AssistantTool['type']>(['code_interpreter', 'retrieval', 'function']);
