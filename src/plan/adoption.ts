/**
 * Adoption and release without planning, as plain data: what `import` records and tags,
 * what `state rm` untags, what `state rebuild` finds again. The commands do the I/O (read
 * the server, send the tag, write the journal and the state) and print; the rules are here
 * and in ownership.ts (the tag) and uploads.ts (which uploads are ours).
 */
import type { AssistantObject, Metadata, OpenAIFile } from '../api/models.js';
import { dictionary, ownEntry } from '../dictionary.js';
import type { DesiredFile, DesiredState } from '../manifest/types.js';
import type { AssistantWrittenEntry } from '../state/journal.js';
import type { AssistantRecord, StateFile } from '../state/types.js';
import { METADATA_LIMIT } from '../assistant-fields.js';
import { adoptionRefusal, formatOwner, type AdoptionRefusal, isTaggedAs, taggedByKey, withoutTag, withTag, type Owner } from './ownership.js';
import { ourUploadCandidates, recognizeUploads, recordRecognized, type Recognized, type UploadHashes } from './uploads.js';
import { fieldHashes, fileLabelsById, liveView } from './view.js';

/** Why `import KEY ID` is refused before anything is read from the server, or null. */
export function importProblem(desired: DesiredState, state: StateFile | null, key: string, id: string): string | null {
  if (!Object.hasOwn(desired.assistants, key)) {
    return `the manifest has no assistant with that key; add it under assistants: first (keys: ${Object.keys(desired.assistants).sort().join(', ') || 'none'}).`;
  }
  const recorded = ownEntry(state?.assistants, key);
  if (recorded) return `already managed as ${recorded.id}; run "assistants state rm ${key}" first to replace it.`;
  const holder = Object.entries(state?.assistants ?? {}).find(([, record]) => record.id === id);
  if (holder) return `${id} is already managed as ${holder[0]}.`;
  return null;
}

/**
 * What adopting `assistant` as `owner` sends: the metadata with our tag, or null when it
 * carries the tag already; or why it cannot be adopted.
 */
export function importTagging(assistant: AssistantObject, owner: Owner): { metadata: Metadata | null } | { refused: string; reason: AdoptionRefusal['reason'] } {
  const refusal = adoptionRefusal(assistant.metadata, owner);
  if (refusal?.reason === 'other-owner') {
    return { refused: `${assistant.id} is owned by ${formatOwner(refusal.owner)}; it will not be taken from its owner.`, reason: refusal.reason };
  }
  if (refusal?.reason === 'metadata-full') {
    return { refused: `${assistant.id} already has ${METADATA_LIMIT} metadata keys, so the ownership tag cannot be added; remove one first.`, reason: refusal.reason };
  }
  return { metadata: isTaggedAs(assistant.metadata, owner) ? null : withTag(assistant.metadata, owner) };
}

/** The uploads an imported assistant may bring: its attachments that are uploads of manifest files it attaches and the state does not record. */
export interface ImportUploads {
  /** The manifest files the key attaches that the state does not record, by name. */
  unrecorded: Map<string, DesiredFile>;
  /** The assistant's attachments that could be uploads of them (their content hashes are read next). */
  candidates: OpenAIFile[];
}

export function importUploads(desired: DesiredState, base: StateFile, key: string, assistant: AssistantObject, account: { assistants: AssistantObject[]; files: OpenAIFile[] }): ImportUploads {
  const unrecorded = new Map(
    (desired.assistants[key]?.files ?? []).filter((name) => !Object.hasOwn(base.files, name)).flatMap((name) => {
      const file = ownEntry(desired.files, name);
      return file ? [[name, file] as const] : [];
    }),
  );
  const candidates = ourUploadCandidates(account, { ...desired, files: dictionary(unrecorded) }, base).filter((file) => assistant.fileIds.includes(file.id));
  return { unrecorded, candidates };
}

/** What `import` records: the state with the recognised uploads, and the journal entry of the (tagged) assistant. */
export function importRecords(
  desired: DesiredState,
  base: StateFile,
  key: string,
  tagged: AssistantObject,
  uploads: ImportUploads,
  hashes: UploadHashes,
  at: string,
): { state: StateFile; entry: AssistantWrittenEntry; found: Recognized } {
  const found = recognizeUploads(uploads.candidates, hashes, uploads.unrecorded);
  const state = recordRecognized(base, found, uploads.unrecorded, at);
  const sensitive = desired.assistants[key]?.sensitive ?? [];
  const applied = fieldHashes(liveView(tagged, fileLabelsById(state.files)));
  return { state, entry: { op: 'assistant.updated', key, id: tagged.id, applied, ...(sensitive.length > 0 ? { sensitive } : {}), at }, found };
}

/** What `state rm` sends to release `assistant`: its metadata without our tag, or null when it does not carry `owner`'s tag (another owner's stays). */
export function releaseTagging(assistant: AssistantObject, owner: Owner): Metadata | null {
  return isTaggedAs(assistant.metadata, owner) ? withoutTag(assistant.metadata) : null;
}

/**
 * What `state rebuild` starts from: `base` with nothing recorded but the retired uploads
 * it keeps to delete; everything else is found again from the tags and the upload rule.
 */
export function rebuildBase(base: StateFile, endpoint: string): StateFile {
  return { ...base, endpoint, assistants: dictionary(), files: dictionary() };
}

/** `state rebuild`: the assistants tagged for this environment (the oldest of each key; the others are duplicates) and the uploads `found`. */
export function rebuiltState(
  desired: DesiredState,
  kept: StateFile,
  live: { assistants: AssistantObject[] },
  found: Recognized,
  now: string,
): { state: StateFile; duplicates: string[] } {
  const withFiles = recordRecognized(kept, found, new Map(Object.entries(desired.files)), now);
  const labels = fileLabelsById(withFiles.files);
  const assistants = dictionary<AssistantRecord>();
  const duplicates: string[] = [];
  for (const [key, [kept, ...others]] of taggedByKey(live.assistants, desired)) {
    if (kept === undefined) continue;
    const sensitive = desired.assistants[key]?.sensitive ?? [];
    assistants[key] = { id: kept.id, applied: fieldHashes(liveView(kept, labels)), updatedAt: now, ...(sensitive.length > 0 ? { sensitive } : {}) };
    duplicates.push(...others.map((assistant) => `${key}: ${assistant.id}`));
  }
  return { state: { ...withFiles, assistants }, duplicates };
}
