/**
 * Taking sensitive values out of a plan. The planner compares real values; before the
 * plan leaves it, every sensitive part of `before`, `after` and `changes` is replaced by
 * (sensitive), and the real `after` views (what apply must send) are handed back beside
 * the plan, never inside it. So no form of a plan (text, JSON, Markdown, a saved file)
 * can carry a secret.
 */
import type { JsonValue } from '../json.js';
import { dictionaryOf } from '../dictionary.js';
import { metadataKeyOf, SENSITIVE_VALUE, type SensitivePath } from '../redaction.js';
import type { AssistantChange, AssistantView, FieldChange, SensitivePart } from './types.js';

/** Manifest key -> the real `after` view of its change, for each change the plan redacted. */
export type SensitiveValues = ReadonlyMap<string, AssistantView>;

/** The change with the given parts redacted (or as it is, with `sensitive: []`, when none). */
export function redactChange(change: AssistantChange, paths: readonly SensitivePath[]): AssistantChange {
  if (paths.length === 0) return { ...change, sensitive: [] };
  const unique = [...new Set(paths)];
  return {
    ...change,
    before: change.before === null ? null : redactView(change.before, unique),
    after: change.after === null ? null : redactView(change.after, unique),
    changes: change.changes.map((fc) => redactFieldChange(fc, unique)),
    sensitive: unique.map((path) => ({ path, changed: isChanged(change, path) })),
  };
}

/**
 * The texts the parts hold in `view`, for scrubbing messages that may echo them: a
 * field's value, a metadata entry's value, and for tools the function descriptions (the
 * only part of a tool a variable can make; tool types and names are not secrets).
 */
export function sensitiveStrings(view: AssistantView, parts: readonly SensitivePart[]): string[] {
  const strings: string[] = [];
  for (const { path } of parts) {
    const key = metadataKeyOf(path);
    if (key !== null) {
      if (Object.hasOwn(view.metadata, key)) strings.push(view.metadata[key] as string);
    } else if (path === 'tools') {
      for (const tool of view.tools) {
        const fn = tool !== null && typeof tool === 'object' && !Array.isArray(tool) ? tool['function'] : undefined;
        const description = fn !== null && typeof fn === 'object' && !Array.isArray(fn) ? fn['description'] : undefined;
        if (typeof description === 'string') strings.push(description);
      }
    } else if (path === 'model' || path === 'name' || path === 'description' || path === 'instructions') {
      const value = view[path];
      if (value !== null) strings.push(value);
    }
  }
  return strings;
}

function isChanged(change: AssistantChange, path: SensitivePath): boolean {
  const key = metadataKeyOf(path);
  if (key === null) return change.changes.some((fc) => fc.field === path);
  const metadata = change.changes.find((fc) => fc.field === 'metadata');
  if (metadata === undefined) return false;
  return entryOf(metadata.before, key) !== entryOf(metadata.after, key);
}

function entryOf(map: JsonValue, key: string): JsonValue | undefined {
  return map !== null && typeof map === 'object' && !Array.isArray(map) && Object.hasOwn(map, key) ? map[key] : undefined;
}

/** A field's value with nothing of it left: (sensitive), a list of that for tools; null and [] stay (they hold nothing). */
function hidden(value: JsonValue): JsonValue {
  if (value === null) return null;
  if (Array.isArray(value)) return value.length === 0 ? [] : [SENSITIVE_VALUE];
  return SENSITIVE_VALUE;
}

function redactMap(map: Readonly<Record<string, string>>, keys: readonly string[]): Record<string, string> {
  const copy = dictionaryOf(map);
  for (const key of keys) if (Object.hasOwn(copy, key)) copy[key] = SENSITIVE_VALUE;
  return copy;
}

function metadataKeys(paths: readonly SensitivePath[]): string[] {
  return paths.flatMap((path) => {
    const key = metadataKeyOf(path);
    return key === null ? [] : [key];
  });
}

/** The view with the given parts shown as (sensitive). */
export function redactView(view: AssistantView, paths: readonly SensitivePath[]): AssistantView {
  const fields = new Set(paths);
  return {
    model: fields.has('model') ? SENSITIVE_VALUE : view.model,
    name: fields.has('name') ? (hidden(view.name) as string | null) : view.name,
    description: fields.has('description') ? (hidden(view.description) as string | null) : view.description,
    instructions: fields.has('instructions') ? (hidden(view.instructions) as string | null) : view.instructions,
    tools: fields.has('tools') ? (hidden(view.tools) as JsonValue[]) : view.tools,
    files: view.files,
    metadata: redactMap(view.metadata, metadataKeys(paths)),
  };
}

function redactFieldChange(change: FieldChange, paths: readonly SensitivePath[]): FieldChange {
  if (change.field === 'metadata') {
    const keys = metadataKeys(paths);
    const redact = (value: JsonValue): JsonValue =>
      value !== null && typeof value === 'object' && !Array.isArray(value) ? (redactMap(value as Record<string, string>, keys) as JsonValue) : value;
    return { ...change, before: redact(change.before), after: redact(change.after) };
  }
  if (!paths.includes(change.field)) return change;
  return { ...change, before: hidden(change.before), after: hidden(change.after) };
}
