/**
 * The Plan in its JSON form: what `plan --json` prints and what every renderer reads.
 *
 * Key order is fixed so that the output is byte-for-byte stable:
 * - objects the schema defines (the plan, its changes, views, notes, summary, prior) are
 *   written in schema order, the order of `schemas/plan.schema.json` and `src/plan/types.ts`;
 * - string maps (`metadata` in assistant views, `prior.liveFingerprints`) are written with
 *   their keys sorted by code point (JavaScript keeps integer-like keys first, in numeric
 *   order);
 * - user JSON (tools, a field change's `before`/`after`) is kept exactly as given, because
 *   the order of a function's JSON-Schema `parameters` is the user's to choose;
 * - arrays keep the planner's order. Properties outside the schema are dropped.
 */
import type { AssistantChange, AssistantView, FileChange, Plan } from './types.js';
import { sortedDictionary } from '../dictionary.js';

/** The plan as the plain JSON value `renderJson` prints, with keys in the documented order. */
export function planJsonValue(plan: Plan): Plan {
  const value = {
    ...pick(plan, ['formatVersion', 'toolVersion', 'createdAt', 'mode', 'manifest', 'project', 'environment', 'endpoint']),
    targets: [...plan.targets],
    files: plan.files.map(fileChangeJson),
    assistants: plan.assistants.map(assistantChangeJson),
    notes: plan.notes.map((note) => pick(note, ['level', 'key', 'message'])),
    summary: pick(plan.summary, ['add', 'change', 'destroy', 'filesUpload', 'filesDelete']),
  };
  // Read when shown (--json, Markdown, a saved plan), never by the text renderer (see
  // withPlanHash). Defined here, not in the literal: in a literal with a spread, V8 defines a getter after every data property.
  Object.defineProperty(value, 'planHash', { enumerable: true, get: () => plan.planHash });
  return Object.assign(value, {
    prior: { ...pick(plan.prior, ['manifestHash', 'lineage', 'serial']), liveFingerprints: inKeyOrder(plan.prior.liveFingerprints) },
  }) as Plan;
}

/**
 * `record` in sorted key order: itself when its keys already are (the planner makes its maps
 * so, and a plan has two per assistant and one of thousands of fingerprints), else a sorted
 * copy. Already sorted by code point, the keys print as a sorted copy would print them.
 */
function inKeyOrder(record: Readonly<Record<string, string>>): Record<string, string> {
  const keys = Object.keys(record);
  for (let i = 0; i < keys.length; i++) {
    if ((i > 0 && (keys[i - 1] as string) >= (keys[i] as string)) || record[keys[i] as string] === undefined) return sortedDictionary(record);
  }
  return record;
}

/** `plan --json`: the Plan, keys in the documented order, 2-space indent, trailing newline. */
export function renderJson(plan: Plan): string {
  return `${JSON.stringify(planJsonValue(plan), null, 2)}\n`;
}

/** `value`'s `keys`, in that order, and nothing else. */
function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  const picked = {} as Pick<T, K>;
  for (const key of keys) picked[key] = value[key];
  return picked;
}

// The per-object forms below are written out as literals, not picked: a plan has thousands
// of them, and a literal of fixed keys is several times cheaper to make than a picked copy.

function fileChangeJson(file: FileChange): FileChange {
  return {
    name: file.name,
    action: file.action,
    reason: file.reason,
    id: file.id,
    path: file.path,
    filename: file.filename,
    bytes: file.bytes,
    sha256: file.sha256,
    previousSha256: file.previousSha256,
  };
}

function assistantChangeJson(change: AssistantChange): AssistantChange {
  return {
    key: change.key,
    action: change.action,
    reason: change.reason,
    id: change.id,
    before: change.before === null ? null : viewJson(change.before),
    after: change.after === null ? null : viewJson(change.after),
    changes: change.changes.map((field) => pick(field, ['field', 'before', 'after', 'cause'])),
    ignored: [...change.ignored],
    sensitive: change.sensitive.map((part) => pick(part, ['path', 'changed'])),
  };
}

function viewJson(view: AssistantView): AssistantView {
  return {
    model: view.model,
    name: view.name,
    description: view.description,
    instructions: view.instructions,
    tools: [...view.tools],
    files: [...view.files],
    metadata: inKeyOrder(view.metadata),
  };
}
