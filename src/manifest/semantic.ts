/**
 * Checks beyond the schema's shape, on the manifest as the environment resolves it: the
 * API's limits after interpolation, function names unique per assistant, inline
 * `parameters` that are valid JSON Schema, and file references that are declared.
 * Written against unknown data, so it can run even when the shape is wrong and report
 * everything at once.
 */
import { METADATA_LIMIT } from '../assistant-fields.js';
import type { ManifestDiagnostic } from './diagnostics.js';
import { checkParametersSchema } from './parameters-schema.js';
import { childPointer } from './pointer.js';
import { characterCount, MAX_INSTRUCTIONS_CHARS } from './referenced-text.js';
import { didYouMean } from './suggest.js';
import { diagnosticFor, entriesOf, isRecord, valueAt, type Tree } from './tree.js';

export const LIMITS = {
  name: 256,
  description: 512,
  instructions: MAX_INSTRUCTIONS_CHARS,
  metadataValue: 512,
  /** The API's 16, less the ownership tag. */
  metadataEntries: METADATA_LIMIT - 1,
} as const;

export interface SemanticResult {
  errors: ManifestDiagnostic[];
  warnings: ManifestDiagnostic[];
}

const READS_FILES = new Set(['retrieval', 'code_interpreter']);

export function checkSemantics(resolved: Tree, raw: Tree): SemanticResult {
  const errors: ManifestDiagnostic[] = [];
  const warnings: ManifestDiagnostic[] = [];
  const root = isRecord(resolved.value) ? resolved.value : {};
  const declaredFiles = entriesOf(root.files).map(([name]) => name);
  const declared = new Set(declaredFiles);

  const limit = (pointer: string, value: unknown, max: number, what: string): void => {
    // A string no longer than the limit in UTF-16 code units is within it in characters: not counted.
    if (typeof value === 'string' && value.length > max && characterCount(value) > max) {
      errors.push(diagnosticFor(resolved, pointer, `${what} is ${characterCount(value).toLocaleString('en-US')} characters; the API allows at most ${max.toLocaleString('en-US')}`));
    }
  };

  for (const [key, assistant] of entriesOf(root.assistants)) {
    if (!isRecord(assistant)) continue;
    const at = childPointer('/assistants', key);
    limit(childPointer(at, 'name'), assistant.name, LIMITS.name, 'name');
    limit(childPointer(at, 'description'), assistant.description, LIMITS.description, 'description');
    limit(childPointer(at, 'instructions'), assistant.instructions, LIMITS.instructions, 'instructions');
    if (assistant.model === '') errors.push(diagnosticFor(resolved, childPointer(at, 'model'), 'model is empty after interpolation'));
    const metadata = entriesOf(assistant.metadata);
    const declaredMetadata = entriesOf(valueAt(raw.value, childPointer(at, 'metadata')));
    if (metadata.length > LIMITS.metadataEntries && declaredMetadata.length <= LIMITS.metadataEntries) {
      // The schema checked each part; the environment's entries merged in pass the limit.
      errors.push(
        diagnosticFor(resolved, childPointer(at, 'metadata'), `metadata has ${metadata.length} entries with the environment's merged in; at most ${LIMITS.metadataEntries} allowed (the API allows ${METADATA_LIMIT} and one is reserved for ownership)`, 'key'),
      );
    }
    for (const [metaKey, value] of metadata) {
      limit(childPointer(childPointer(at, 'metadata'), metaKey), value, LIMITS.metadataValue, `metadata "${metaKey}"`);
    }

    const functionNames = new Map<string, number>();
    const tools = Array.isArray(assistant.tools) ? assistant.tools : [];
    tools.forEach((tool, index) => {
      const fn = isRecord(tool) && tool.type === 'function' ? tool.function : undefined;
      if (!isRecord(fn) || typeof fn.name !== 'string') return;
      const fnAt = childPointer(childPointer(childPointer(at, 'tools'), index), 'function');
      const first = functionNames.get(fn.name);
      if (first !== undefined) {
        errors.push(diagnosticFor(resolved, childPointer(fnAt, 'name'), `function "${fn.name}" is already defined by tools item ${first + 1}; function names must be unique per assistant`));
      } else functionNames.set(fn.name, index);
      if (fn.parameters !== undefined && isRecord(fn.parameters)) {
        errors.push(...checkParametersSchema(resolved, childPointer(fnAt, 'parameters'), `parameters of function "${fn.name}"`));
      }
    });

    const files = Array.isArray(assistant.files) ? assistant.files : [];
    files.forEach((name, index) => {
      if (typeof name !== 'string' || declared.has(name)) return;
      errors.push(
        diagnosticFor(resolved, childPointer(childPointer(at, 'files'), index), `file "${name}" is not declared under files${didYouMean(name, declaredFiles)}`),
      );
    });
    if (files.length > 0 && !tools.some((tool) => isRecord(tool) && typeof tool.type === 'string' && READS_FILES.has(tool.type))) {
      warnings.push(diagnosticFor(resolved, childPointer(at, 'files'), `assistant "${key}" attaches files but has no retrieval or code_interpreter tool to read them`, 'key'));
    }
  }

  const attachedAnywhere = new Set<string>();
  const collect = (assistants: unknown): void => {
    for (const [, assistant] of entriesOf(assistants)) {
      if (isRecord(assistant) && Array.isArray(assistant.files)) for (const name of assistant.files) if (typeof name === 'string') attachedAnywhere.add(name);
    }
  };
  const rawRoot = isRecord(raw.value) ? raw.value : {};
  collect(rawRoot.assistants);
  for (const [, overrides] of entriesOf(rawRoot.environments)) collect(isRecord(overrides) ? overrides.assistants : undefined);
  for (const name of declaredFiles) {
    if (!attachedAnywhere.has(name)) {
      warnings.push(diagnosticFor(raw, childPointer('/files', name), `file "${name}" is declared but no assistant attaches it`, 'key'));
    }
  }
  return { errors, warnings };
}
