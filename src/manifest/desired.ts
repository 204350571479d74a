/**
 * The desired state, built from a resolved manifest that passed every check: for each
 * assistant the exact API fields (camelCase client shape), for each attached file its
 * path, size and hash.
 */
import { basename } from 'node:path';
import type { AssistantField, AssistantTool, FunctionObject } from '../assistant-fields.js';
import type { JsonObject } from '../json.js';
import { dictionary, dictionaryOf } from '../dictionary.js';
import { metadataPath, SENSITIVE_VALUE, type SensitivePath } from '../redaction.js';
import { childPointer, isWithin, pointerSegments } from './pointer.js';
import { lineColumn } from './source-file.js';
import { promotableContent, type EnvironmentSpecificParts, type PromotableContent } from './promotable.js';
import { originOf, type Tree } from './tree.js';
import type { AssistantSpec, DesiredAssistant, DesiredFile, DesiredState, ManifestBackend } from './types.js';

/** The resolved manifest's shape, as the schema and the semantic checks guarantee it. */
interface ResolvedFunction {
  name: string;
  description?: string;
  parameters?: JsonObject;
  parameters_file?: string;
}
interface ResolvedAssistant {
  name?: string;
  model: string;
  description?: string;
  instructions?: string;
  instructions_file?: string;
  tools?: Array<{ type: 'code_interpreter' } | { type: 'retrieval' } | { type: 'function'; function: ResolvedFunction }>;
  files?: string[];
  metadata?: Record<string, string>;
  lifecycle?: { prevent_destroy?: boolean; ignore_changes?: AssistantField[] };
}
interface ResolvedManifest {
  project: string;
  backend?: ManifestBackend;
  assistants: Record<string, ResolvedAssistant>;
}

export interface DesiredInputs {
  /** The merged and interpolated manifest, valid. */
  resolved: Tree;
  environment: string;
  /** The environment's `endpoint:`, when it names one. */
  endpoint?: string | undefined;
  manifestPath: string;
  manifestHash: string;
  /** Pointer of an `instructions_file` -> the file's text. */
  instructions: ReadonlyMap<string, string>;
  /** Pointer of a `parameters_file` -> the parsed schema. */
  parameters: ReadonlyMap<string, JsonObject>;
  /** Attached files by name. */
  files: ReadonlyMap<string, { path: string; bytes: number; sha256: string }>;
  /** Pointers of the fields made with a sensitive variable. */
  sensitive: ReadonlySet<string>;
  /** What differs per environment, read off the whole manifest. */
  environmentSpecific: EnvironmentSpecificParts;
}

/** The order sensitive paths are listed in: the fields as a plan shows them, then metadata keys. */
const SENSITIVE_FIELDS = ['model', 'name', 'description', 'instructions', 'tools'] as const;

/** The sensitive parts of the assistant at `at`, from the sensitive pointers under it. */
function sensitivePaths(sensitive: ReadonlySet<string>, at: string): SensitivePath[] {
  const fields = new Set<string>();
  const metadataKeys: string[] = [];
  for (const pointer of sensitive) {
    if (!isWithin(pointer, at)) continue;
    const [field, key] = pointerSegments(pointer.slice(at.length));
    if (field === 'metadata' && key !== undefined) metadataKeys.push(key);
    else if (field !== undefined) fields.add(field);
  }
  return [...SENSITIVE_FIELDS.filter((f) => fields.has(f)), ...metadataKeys.sort().map(metadataPath)];
}

/** What a desired state holds besides its files and assistants: known before any attached file is read. */
export type DesiredHeader = Pick<DesiredState, 'project' | 'backend' | 'environment' | 'endpoint' | 'manifestPath'>;

export function desiredHeader(inputs: Pick<DesiredInputs, 'resolved' | 'environment' | 'endpoint' | 'manifestPath'>): DesiredHeader {
  const manifest = inputs.resolved.value as unknown as ResolvedManifest;
  return {
    project: manifest.project,
    ...(manifest.backend ? { backend: { ...manifest.backend } } : {}),
    environment: inputs.environment,
    ...(inputs.endpoint === undefined ? {} : { endpoint: inputs.endpoint }),
    manifestPath: inputs.manifestPath,
  };
}

/** The keys of the resolved manifest's assistants, in its order (the desired state's). */
export function assistantKeysOf(resolved: Tree): string[] {
  return Object.keys((resolved.value as unknown as ResolvedManifest).assistants);
}

export function buildDesiredState(inputs: DesiredInputs): DesiredState {
  const manifest = inputs.resolved.value as unknown as ResolvedManifest;
  // Keyed by manifest names, which may be `constructor` or `toString`.
  const assistants = dictionary<DesiredAssistant>();
  const files = dictionary<DesiredFile>();
  for (const [name, file] of [...inputs.files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    files[name] = { name, path: file.path, filename: basename(file.path), bytes: file.bytes, sha256: file.sha256 };
  }
  for (const [key, assistant] of Object.entries(manifest.assistants)) {
    const at = childPointer('/assistants', key);
    const tools: AssistantTool[] = (assistant.tools ?? []).map((tool, index) => {
      if (tool.type !== 'function') return { type: tool.type };
      const fn = tool.function;
      const fromFile = inputs.parameters.get(childPointer(childPointer(childPointer(childPointer(at, 'tools'), index), 'function'), 'parameters_file'));
      const object: FunctionObject = { name: fn.name };
      if (fn.description !== undefined) object.description = fn.description;
      const parameters = fn.parameters ?? fromFile;
      if (parameters !== undefined) object.parameters = parameters;
      return { type: 'function', function: object };
    });
    const origin = originOf(inputs.resolved, at);
    const position = origin === undefined ? { line: 1, column: 1 } : lineColumn(origin.source, origin.keyStart ?? origin.start);
    const spec: AssistantSpec = {
      model: assistant.model,
      name: assistant.name ?? null,
      description: assistant.description ?? null,
      instructions: assistant.instructions ?? inputs.instructions.get(childPointer(at, 'instructions_file')) ?? null,
      tools,
      metadata: dictionaryOf(assistant.metadata ?? {}),
    };
    const attached = [...(assistant.files ?? [])];
    assistants[key] = withPromotable({
      key,
      spec,
      files: attached,
      sensitive: sensitivePaths(inputs.sensitive, at),
      lifecycle: {
        preventDestroy: assistant.lifecycle?.prevent_destroy ?? false,
        ignoreChanges: [...(assistant.lifecycle?.ignore_changes ?? [])],
      },
      source: { file: inputs.manifestPath, ...position },
    }, [spec, attached, files, inputs.environmentSpecific.assistants.get(key) ?? new Set(), inputs.environmentSpecific.files]);
  }
  return { ...desiredHeader(inputs), manifestHash: inputs.manifestHash, files, assistants };
}

/**
 * The assistant with its promotable content computed when first read: eight sha256 per
 * assistant that a plan never reads (an apply's release records and promotion do), ~0.1-0.3 s
 * at 1,000 assistants. It reads as a plain enumerable field, and is computed once.
 */
function withPromotable(assistant: Omit<DesiredAssistant, 'promotable'>, of: Parameters<typeof promotableContent>): DesiredAssistant {
  // Its own scope: the getter holds what it hashes, not the resolved manifest.
  let promotable: PromotableContent | undefined;
  return Object.defineProperty(assistant, 'promotable', { enumerable: true, get: () => (promotable ??= promotableContent(...of)) }) as DesiredAssistant;
}

/**
 * The desired state as it may be shown (`validate --print` and `--json`): every
 * sensitive part replaced by (sensitive); in tools, the function descriptions, which are
 * the only interpolated part of them.
 */
export function redactDesired(desired: DesiredState): DesiredState {
  const assistants = dictionary<DesiredAssistant>();
  for (const [key, assistant] of Object.entries(desired.assistants)) {
    if (assistant.sensitive.length === 0) {
      assistants[key] = assistant;
      continue;
    }
    const hidden = new Set(assistant.sensitive);
    const text = (field: 'name' | 'description' | 'instructions', value: string | null): string | null =>
      hidden.has(field) && value !== null ? SENSITIVE_VALUE : value;
    const metadata = dictionary<string>();
    for (const [metaKey, value] of Object.entries(assistant.spec.metadata)) metadata[metaKey] = hidden.has(metadataPath(metaKey)) ? SENSITIVE_VALUE : value;
    const tools = hidden.has('tools')
      ? assistant.spec.tools.map((tool) =>
          tool.type === 'function' && tool.function.description !== undefined ? { ...tool, function: { ...tool.function, description: SENSITIVE_VALUE } } : tool,
        )
      : assistant.spec.tools;
    assistants[key] = {
      ...assistant,
      spec: {
        model: hidden.has('model') ? SENSITIVE_VALUE : assistant.spec.model,
        name: text('name', assistant.spec.name),
        description: text('description', assistant.spec.description),
        instructions: text('instructions', assistant.spec.instructions),
        tools,
        metadata,
      },
    };
  }
  return { ...desired, assistants };
}
