/**
 * One comparable form for an assistant, whether it comes from the manifest or the API:
 * the plan's AssistantView. Field hashes of a view are what the state records as "last
 * applied", so planner and applier must both build views here and nowhere else.
 */
import type { AssistantObject } from '../api/models.js';
import type { JsonValue } from '../json.js';
import type { DesiredAssistant, DesiredFile } from '../manifest/types.js';
import { ASSISTANT_FIELDS, type AssistantField } from '../assistant-fields.js';
import type { FileRecord, FieldHashes } from '../state/types.js';
import { ownEntry, sortedDictionary } from '../dictionary.js';
import { hashValue } from './hash.js';
import { withTag, type Owner } from './ownership.js';
import type { AssistantView } from './types.js';

/** How a managed file appears in a view: its manifest name and the start of its content hash. */
export function fileLabel(name: string, sha256: string): string {
  return `${name}@${sha256.slice(0, 12)}`;
}

/** The manifest name inside a label made by fileLabel, or null for a raw `file-...` id. */
export function fileNameOfLabel(label: string): string | null {
  const at = label.lastIndexOf('@');
  return at > 0 ? label.slice(0, at) : null;
}

export function desiredView(
  assistant: DesiredAssistant,
  owner: Owner,
  files: Record<string, DesiredFile>,
): AssistantView {
  const spec = assistant.spec;
  return {
    model: spec.model,
    name: spec.name,
    description: spec.description,
    instructions: spec.instructions,
    tools: spec.tools as unknown as JsonValue[],
    files: assistant.files
      .map((name) => {
        const file = ownEntry(files, name);
        if (!file) throw new Error(`desired file ${name} is missing; the manifest loader checks this`);
        return fileLabel(name, file.sha256);
      })
      .sort(),
    metadata: sortedDictionary(withTag(spec.metadata, owner)),
  };
}

/** Remote file id -> label, for the files we recorded; build it once per plan. */
export type FileLabels = ReadonlyMap<string, string>;

export function fileLabelsById(recordedFiles: Record<string, FileRecord>): FileLabels {
  return new Map(Object.entries(recordedFiles).map(([name, record]) => [record.id, fileLabel(name, record.sha256)]));
}

/**
 * A live assistant as a view. File ids we recorded become labels; any other id stays raw,
 * so an attachment made by hand shows up as drift under its id.
 */
export function liveView(assistant: AssistantObject, labelById: FileLabels): AssistantView {
  return {
    model: assistant.model,
    name: assistant.name ?? null,
    description: assistant.description ?? null,
    instructions: assistant.instructions ?? null,
    tools: assistant.tools as unknown as JsonValue[],
    files: (assistant.fileIds ?? []).map((id) => labelById.get(id) ?? id).sort(),
    metadata: sortedDictionary(assistant.metadata ?? {}),
  };
}

export function fieldValue(view: AssistantView, field: AssistantField): JsonValue {
  return view[field] as JsonValue;
}

export function fieldHashes(view: AssistantView): FieldHashes {
  const hashes = {} as FieldHashes;
  for (const field of ASSISTANT_FIELDS) hashes[field] = hashValue(fieldValue(view, field));
  return hashes;
}

