/**
 * What of an assistant is promoted from one environment to the next: its content with
 * every environment-specific part set aside. A part is environment-specific when any
 * environment's overlay sets it (`environments.E.assistants.K...`, or the path of a file
 * it attaches under `environments.E.files`), or when its text uses `${environment}`, a
 * variable that any environment sets under its `variables:`, or a sensitive variable.
 * Everything else (the shared template, instruction texts, function parameters, attached
 * files' contents, variables no environment sets) is the same in every environment, so
 * its hash tells whether prod would get exactly what staging got.
 *
 * The rule reads the whole manifest, never one environment, so every environment sets
 * the same parts aside and their hashes compare.
 */
import { createHash } from 'node:crypto';
import type { JsonValue } from '../json.js';
import { canonicalJson } from '../canonical-json.js';
import { dictionary } from '../dictionary.js';
import { metadataKeyOf, metadataPath } from '../redaction.js';
import { forEachTemplate, isInterpolated, parseTemplate } from './interpolate.js';
import { childPointer, pointerOf, pointerSegments } from './pointer.js';
import { entriesOf, isRecord, type Tree } from './tree.js';
import type { AssistantSpec, DesiredFile } from './types.js';

/** What stands in a hashed field for a part that differs per environment. */
export const ENVIRONMENT_SPECIFIC = '(environment-specific)';

/** The parts hashed: the assistant's fields, attached files by content. */
export const PROMOTABLE_FIELDS = ['name', 'model', 'description', 'instructions', 'tools', 'files', 'metadata'] as const;
export type PromotableField = (typeof PROMOTABLE_FIELDS)[number];

export interface PromotableContent {
  /** sha256 over `fields`: the content as one value. */
  hash: string;
  /** Per field, sha256 of its canonical JSON with environment-specific parts replaced. */
  fields: Record<PromotableField, string>;
  /** Attached files by manifest name -> content sha256 (environment-specific ones left out). */
  files: Record<string, string>;
  /** The parts set aside, sorted: field names, and `metadata.KEY` for one metadata entry. */
  environmentSpecific: string[];
}

/** The environment-specific parts of each assistant, and the attached files whose path differs per environment. */
export interface EnvironmentSpecificParts {
  assistants: Map<string, Set<string>>;
  files: Set<string>;
}

function sha256(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** The part of an assistant a pointer inside it (relative, e.g. `/metadata/team`) belongs to, or null (lifecycle). */
function partOf(relativePointer: string): string | null {
  const [field, key] = pointerSegments(relativePointer);
  switch (field) {
    case 'instructions':
    case 'instructions_file':
      return 'instructions';
    case 'metadata':
      return key === undefined ? 'metadata' : metadataPath(key);
    case 'name':
    case 'model':
    case 'description':
    case 'tools':
    case 'files':
      return field;
    default:
      return null;
  }
}

/** Pointers (relative to `at`) of the leaves an overlay sets: mappings merge, so only their leaves replace. */
function overlayLeaves(value: JsonValue, at: string, out: string[]): void {
  if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) overlayLeaves(item, childPointer(at, key), out);
    return;
  }
  out.push(at);
}

/** Whether a template's text differs per environment. */
function templateVaries(text: string, perEnvironment: ReadonlySet<string>): boolean {
  return parseTemplate(text).segments.some(
    (segment) => 'expression' in segment && (segment.expression.kind === 'environment' || (segment.expression.kind === 'var' && perEnvironment.has(segment.expression.name))),
  );
}

/** Strings under `value` (at `segments` in the manifest) that are interpolated and vary per environment, as pointers. */
function varyingTemplates(value: JsonValue, segments: string[], perEnvironment: ReadonlySet<string>, out: string[]): void {
  forEachTemplate(value, segments, (text, at) => {
    if (isInterpolated(at) === 'value' && templateVaries(text, perEnvironment)) out.push(pointerOf(at));
  });
}

/** Reads the environment-specific parts off the raw manifest (before any environment is merged in). */
export function environmentSpecificParts(raw: Tree): EnvironmentSpecificParts {
  const root = isRecord(raw.value) ? raw.value : {};
  const environments = entriesOf(root.environments);
  const perEnvironment = new Set<string>();
  for (const [name, declaration] of entriesOf(root.variables)) if (isRecord(declaration) && declaration.sensitive === true) perEnvironment.add(name);
  for (const [, overlay] of environments) for (const [name] of entriesOf(isRecord(overlay) ? overlay.variables : undefined)) perEnvironment.add(name);

  const files = new Set<string>();
  for (const [, overlay] of environments) for (const [name] of entriesOf(isRecord(overlay) ? overlay.files : undefined)) files.add(name);
  for (const [name, file] of entriesOf(root.files)) {
    const varying: string[] = [];
    varyingTemplates(file, ['files', name], perEnvironment, varying);
    if (varying.length > 0) files.add(name);
  }

  const assistants = new Map<string, Set<string>>();
  for (const [key, assistant] of entriesOf(root.assistants)) {
    const at = childPointer('/assistants', key);
    const pointers: string[] = [];
    varyingTemplates(assistant, ['assistants', key], perEnvironment, pointers);
    const relative = pointers.map((pointer) => pointer.slice(at.length));
    for (const [, overlay] of environments) {
      const assistantOverlay = isRecord(overlay) && isRecord(overlay.assistants) && Object.hasOwn(overlay.assistants, key) ? overlay.assistants[key] : undefined;
      if (assistantOverlay !== undefined) overlayLeaves(assistantOverlay, '', relative);
    }
    const parts = new Set<string>();
    for (const pointer of relative) {
      const part = partOf(pointer);
      if (part !== null) parts.add(part);
    }
    assistants.set(key, parts);
  }
  return { assistants, files };
}

/** The promotable content of one resolved assistant, given the parts set aside for it. */
export function promotableContent(
  spec: AssistantSpec,
  attached: readonly string[],
  desiredFiles: Readonly<Record<string, DesiredFile>>,
  parts: ReadonlySet<string>,
  specificFiles: ReadonlySet<string>,
): PromotableContent {
  const aside = (part: string, value: JsonValue): JsonValue => (parts.has(part) ? ENVIRONMENT_SPECIFIC : value);
  const files = dictionary<string>();
  for (const name of attached) {
    const file = desiredFiles[name];
    if (file !== undefined && !specificFiles.has(name)) files[name] = file.sha256;
  }
  const metadata = dictionary<string>();
  for (const [key, value] of Object.entries(spec.metadata)) metadata[key] = value;
  for (const part of parts) {
    const key = metadataKeyOf(part);
    if (key !== null) metadata[key] = ENVIRONMENT_SPECIFIC;
  }
  const values: Record<PromotableField, JsonValue> = {
    name: aside('name', spec.name),
    model: aside('model', spec.model),
    description: aside('description', spec.description),
    instructions: aside('instructions', spec.instructions),
    tools: aside('tools', spec.tools as unknown as JsonValue),
    files: aside('files', [...attached].sort().map((name) => (Object.hasOwn(files, name) ? `${name}@${files[name]}` : `${name}@${ENVIRONMENT_SPECIFIC}`))),
    metadata: aside('metadata', metadata),
  };
  const fields = {} as Record<PromotableField, string>;
  for (const field of PROMOTABLE_FIELDS) fields[field] = sha256(values[field]);
  return { hash: sha256(fields), fields, files, environmentSpecific: [...parts].sort() };
}
