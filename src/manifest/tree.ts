/**
 * A parsed document as plain JSON data plus, for every node, where it came from. Merging
 * environments and interpolating keep the origins, so a problem found in the resolved
 * manifest still points at the line and column the user wrote.
 */
import type { JsonValue } from '../json.js';
import type { ManifestDiagnostic } from './diagnostics.js';
import { parentPointer, pointerSegments } from './pointer.js';
import { diagnosticAt, type SourceFile } from './source-file.js';

/** Nodes nested deeper than this are refused: the document is hostile. */
export const MAX_DEPTH = 64;

export interface Origin {
  source: SourceFile;
  /** JSON pointer of the node in `source`. */
  pointer: string;
  /** Offset of the value in `source.text`. */
  start: number;
  /** Offset after a scalar's text (a collection has none). */
  end?: number;
  /** Offset of the node's key, when it is a mapping entry. */
  keyStart?: number;
}

export interface Tree {
  value: JsonValue;
  /** Pointer in `value` -> origin. */
  origins: Map<string, Origin>;
}

/** The origin of a node, or of its nearest ancestor that has one. */
export function originOf(tree: Tree, pointer: string): Origin | undefined {
  let current = pointer;
  for (;;) {
    const origin = tree.origins.get(current);
    if (origin !== undefined || current === '') return origin;
    current = parentPointer(current);
  }
}

/**
 * A diagnostic at a node of the tree: at its value, or at its key (for "unknown field"
 * and "missing field" problems, which are about the entry rather than its value).
 */
export function diagnosticFor(
  tree: Tree,
  pointer: string,
  message: string,
  at: 'value' | 'key' = 'value',
): ManifestDiagnostic {
  const origin = originOf(tree, pointer);
  if (origin === undefined) return { file: '', line: 1, column: 1, message };
  const offset = at === 'key' ? (origin.keyStart ?? origin.start) : origin.start;
  return diagnosticAt(origin.source, offset, message, origin.pointer);
}

export function isRecord(value: unknown): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The entries of a mapping, or none when the value is not one. */
export function entriesOf(value: unknown): Array<[string, JsonValue]> {
  return isRecord(value) ? Object.entries(value) : [];
}

/** Sets a key on a fresh object without ever touching its prototype (`__proto__`). */
export function defineEntry(target: { [key: string]: JsonValue }, key: string, value: JsonValue): void {
  // Only `__proto__` is an accessor on Object.prototype; any other key is set as an own property by assignment, which is faster.
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** The value at a pointer, or undefined when there is none. */
export function valueAt(root: JsonValue, pointer: string): JsonValue | undefined {
  let current: JsonValue | undefined = root;
  for (const segment of pointerSegments(pointer)) {
    if (Array.isArray(current)) current = current[Number(segment)];
    else if (isRecord(current)) current = Object.hasOwn(current, segment) ? current[segment] : undefined;
    else return undefined;
  }
  return current;
}
