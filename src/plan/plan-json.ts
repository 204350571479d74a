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
import type {
  AssistantChange,
  AssistantView,
  FieldChange,
  FileChange,
  Plan,
  PlanNote,
} from './types.js';
import { sortedDictionary } from '../dictionary.js';

/** The plan as the plain JSON value `renderJson` prints, with keys in the documented order. */
export function planJsonValue(plan: Plan): Plan {
  return {
    formatVersion: plan.formatVersion,
    toolVersion: plan.toolVersion,
    createdAt: plan.createdAt,
    mode: plan.mode,
    manifest: plan.manifest,
    project: plan.project,
    environment: plan.environment,
    endpoint: plan.endpoint,
    targets: [...plan.targets],
    files: plan.files.map(fileChangeJson),
    assistants: plan.assistants.map(assistantChangeJson),
    notes: plan.notes.map(noteJson),
    summary: {
      add: plan.summary.add,
      change: plan.summary.change,
      destroy: plan.summary.destroy,
      filesUpload: plan.summary.filesUpload,
      filesDelete: plan.summary.filesDelete,
    },
    planHash: plan.planHash,
    prior: {
      manifestHash: plan.prior.manifestHash,
      lineage: plan.prior.lineage,
      serial: plan.prior.serial,
      liveFingerprints: sortedDictionary(plan.prior.liveFingerprints),
    },
  };
}

/** `plan --json`: the Plan, keys in the documented order, 2-space indent, trailing newline. */
export function renderJson(plan: Plan): string {
  return `${JSON.stringify(planJsonValue(plan), null, 2)}\n`;
}

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
    changes: change.changes.map(fieldChangeJson),
    ignored: [...change.ignored],
    sensitive: change.sensitive.map((part) => ({ path: part.path, changed: part.changed })),
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
    metadata: sortedDictionary(view.metadata),
  };
}

function fieldChangeJson(change: FieldChange): FieldChange {
  return { field: change.field, before: change.before, after: change.after, cause: change.cause };
}

function noteJson(note: PlanNote): PlanNote {
  return { level: note.level, key: note.key, message: note.message };
}

