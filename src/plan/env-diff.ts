/**
 * How two environments of one manifest differ, part by part: as the manifest resolves
 * them, or as they are deployed. A difference is intended when the manifest declares that
 * part per environment (manifest/promotable.ts says which); any other one is drift, or a
 * change not yet promoted. Pure: two sides in, plain data out. Schema: `schemas/diff.schema.json`.
 */
import type { JsonValue } from '../json.js';
import { sameCanonicalJson } from '../canonical-json.js';
import { dictionary } from '../dictionary.js';
import { fileNameOfLabel } from './view.js';
import type { AssistantView } from './types.js';
import { metadataKeyOf, metadataPath, SENSITIVE_VALUE } from '../redaction.js';

export const DIFF_FORMAT_VERSION = 1;

/** One environment's assistants as compared: the view (files as `name@sha256-prefix` labels) and its sensitive parts. */
export interface DiffSide {
  environment: string;
  assistants: ReadonlyMap<string, { view: AssistantView; sensitive: readonly string[] }>;
}

/** What the manifest declares per environment: parts (fields, `metadata.KEY`) per assistant, and files. */
export interface DeclaredDifferences {
  parts: ReadonlyMap<string, readonly string[]>;
  /** Attached files whose content is the same in every environment, by assistant. */
  sharedFiles: ReadonlyMap<string, readonly string[]>;
}

export interface PartDifference {
  /** A field, or `metadata.KEY`. */
  part: string;
  /** The value in `from` / `to`; null when absent; (sensitive) for a sensitive part. */
  from: JsonValue;
  to: JsonValue;
  /** Declared per environment in the manifest. */
  intended: boolean;
}

export interface AssistantDifference {
  key: string;
  /** Whether each environment has it: in live mode one may not be deployed. */
  presence: 'both' | 'from-only' | 'to-only';
  differences: PartDifference[];
}

export interface EnvironmentDiff {
  formatVersion: typeof DIFF_FORMAT_VERSION;
  project: string;
  /** resolved: the manifest's two environments; live: what their states and the server hold. */
  mode: 'resolved' | 'live';
  from: string;
  to: string;
  /** The assistants that differ, by key. */
  assistants: AssistantDifference[];
  summary: { intended: number; other: number };
}

const FIELDS = ['model', 'name', 'description', 'instructions', 'tools', 'files'] as const;


/** A files difference is intended when every file that differs is one whose content varies per environment. */
function filesIntended(from: JsonValue, to: JsonValue, shared: readonly string[]): boolean {
  const labels = (value: JsonValue): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
  const a = new Set(labels(from));
  const b = new Set(labels(to));
  const changed = [...a, ...b].filter((label) => !(a.has(label) && b.has(label)));
  return changed.every((label) => {
    const name = fileNameOfLabel(label);
    return name !== null && !shared.includes(name) && [...a, ...b].filter((other) => fileNameOfLabel(other) === name).length === 2;
  });
}

function partsOf(key: string, from: { view: AssistantView; sensitive: readonly string[] }, to: { view: AssistantView; sensitive: readonly string[] }, declared: DeclaredDifferences): PartDifference[] {
  const perEnvironment = new Set(declared.parts.get(key) ?? []);
  const hidden = new Set([...from.sensitive, ...to.sensitive]);
  const shown = (part: string, value: JsonValue): JsonValue => (hidden.has(part) && value !== null ? SENSITIVE_VALUE : value);
  const differences: PartDifference[] = [];
  for (const field of FIELDS) {
    const a = from.view[field] as JsonValue;
    const b = to.view[field] as JsonValue;
    if (sameCanonicalJson(a, b)) continue;
    const intended = perEnvironment.has(field) || (field === 'files' && filesIntended(a, b, declared.sharedFiles.get(key) ?? []));
    differences.push({ part: field, from: shown(field, a), to: shown(field, b), intended });
  }
  const keys = [...new Set([...Object.keys(from.view.metadata), ...Object.keys(to.view.metadata)])].sort();
  for (const metaKey of keys) {
    const a = Object.hasOwn(from.view.metadata, metaKey) ? (from.view.metadata[metaKey] ?? null) : null;
    const b = Object.hasOwn(to.view.metadata, metaKey) ? (to.view.metadata[metaKey] ?? null) : null;
    if (a === b) continue;
    const part = metadataPath(metaKey);
    differences.push({ part, from: shown(part, a), to: shown(part, b), intended: perEnvironment.has('metadata') || perEnvironment.has(part) });
  }
  return differences;
}

export function environmentDiff(project: string, mode: EnvironmentDiff['mode'], from: DiffSide, to: DiffSide, declared: DeclaredDifferences): EnvironmentDiff {
  const assistants: AssistantDifference[] = [];
  const keys = [...new Set([...from.assistants.keys(), ...to.assistants.keys()])].sort();
  for (const key of keys) {
    const a = from.assistants.get(key);
    const b = to.assistants.get(key);
    if (a === undefined || b === undefined) {
      assistants.push({ key, presence: a === undefined ? 'to-only' : 'from-only', differences: [] });
      continue;
    }
    const differences = partsOf(key, a, b, declared);
    if (differences.length > 0) assistants.push({ key, presence: 'both', differences });
  }
  const all = assistants.flatMap((assistant) => assistant.differences);
  const presence = assistants.filter((assistant) => assistant.presence !== 'both').length;
  return {
    formatVersion: DIFF_FORMAT_VERSION,
    project,
    mode,
    from: from.environment,
    to: to.environment,
    assistants,
    summary: { intended: all.filter((d) => d.intended).length, other: all.filter((d) => !d.intended).length + presence },
  };
}

/** The differences of one kind (intended or not) of an assistant as plan field changes: metadata entries gathered in one. */
export function asFieldChanges(differences: readonly PartDifference[]): Array<{ field: (typeof FIELDS)[number] | 'metadata'; before: JsonValue; after: JsonValue; sensitive: string[] }> {
  const changes: Array<{ field: (typeof FIELDS)[number] | 'metadata'; before: JsonValue; after: JsonValue; sensitive: string[] }> = [];
  const before = dictionary<JsonValue>();
  const after = dictionary<JsonValue>();
  const sensitiveKeys: string[] = [];
  for (const difference of differences) {
    const metaKey = metadataKeyOf(difference.part);
    if (metaKey === null) {
      const field = difference.part as (typeof FIELDS)[number];
      changes.push({ field, before: difference.from, after: difference.to, sensitive: difference.from === SENSITIVE_VALUE || difference.to === SENSITIVE_VALUE ? [field] : [] });
      continue;
    }
    if (difference.from !== null) before[metaKey] = difference.from;
    if (difference.to !== null) after[metaKey] = difference.to;
    if (difference.from === SENSITIVE_VALUE || difference.to === SENSITIVE_VALUE) sensitiveKeys.push(difference.part);
  }
  if (Object.keys(before).length + Object.keys(after).length > 0) changes.push({ field: 'metadata', before, after, sensitive: sensitiveKeys });
  return changes;
}
