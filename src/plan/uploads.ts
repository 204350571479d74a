/**
 * The one rule for "this upload is ours" when the state does not record it. Files carry no
 * ownership tag, so an upload on the server is recognised as an upload of a manifest file
 * when:
 *
 * - its purpose is `assistants`, and its file name and size are the manifest file's;
 * - its content hashes to the manifest file's sha256, where the server serves content (the
 *   hosted API does not serve `assistants` files back; there name and size must do);
 * - and it is where only we put it: attached to an assistant of this project and
 *   environment (tagged, or recorded in the state) and to no other assistant. (Recovering
 *   an upload of our own run, the executor's other place to look, bounds it by time
 *   instead: the run recorded when it started.)
 *
 * The planner adopts a recognised upload as the manifest file's (instead of uploading it
 * again) and deletes recognised duplicates; `state rebuild` and `import` record the same,
 * and destroy deletes them all. An attached upload of another size or content is not
 * recognised: it cannot be told from a file someone attached by hand.
 *
 * An upload request given up with no answer may still land after the look-up that
 * followed it missed it (the server was still at work), leaving an upload nobody attached.
 * The state keeps a window for it (`unsettledUploads`): an unrecorded upload of that name,
 * size and content, attached to no assistant and dated within the window, is a leftover of
 * ours. The applier deletes those it finds before it reports, and plans delete the rest.
 */
import { createHash } from 'node:crypto';
import { BadRequestError, NotFoundError, PermissionDeniedError, type FilesApi } from '../api/index.js';
import type { AssistantObject, OpenAIFile } from '../api/models.js';
import type { DesiredState } from '../manifest/types.js';
import type { StateFile, UnsettledUpload } from '../state/types.js';
import { dictionaryOf } from '../dictionary.js';
import { localeCompare } from '../natural-sort.js';
import { isTaggedFor } from './ownership.js';

/** What the rule compares: a manifest file as uploaded. */
export interface UploadIdentity {
  filename: string;
  bytes: number;
  sha256: string;
}

/**
 * sha256 (hex) of uploads' content by id, as the server served it; null where the server
 * does not serve the content. Filled by refresh for the candidates, read by the planner.
 */
export type UploadHashes = ReadonlyMap<string, string | null>;

/**
 * How long after a request was given up what it made may still be dated: a server at work
 * on a request when its client gave up finishes it well within this.
 */
export const LATE_ARRIVAL_MS = 60 * 60 * 1000;

/** Dated at or after `sinceMs`: the server dates in whole seconds, and a second of skew is allowed. */
export function datedSince(file: Pick<OpenAIFile, 'createdAt'>, sinceMs: number): boolean {
  return file.createdAt >= Math.floor(sinceMs / 1000) - 1;
}

/** Name, size and purpose agree: the first half of the rule. */
export function sameNameAndSize(candidate: OpenAIFile, file: Pick<UploadIdentity, 'filename' | 'bytes'>): boolean {
  return candidate.purpose === 'assistants' && candidate.filename === file.filename && candidate.bytes === file.bytes;
}

/** The second half: the content agrees, or the server does not serve it (`null`). */
export function contentAllows(contentSha256: string | null, file: Pick<UploadIdentity, 'sha256'>): boolean {
  return contentSha256 === null || contentSha256 === file.sha256;
}

/** sha256 of an upload's content, or null when the server refuses to serve it (as the hosted API does). */
export async function contentSha256(files: FilesApi, id: string): Promise<string | null> {
  try {
    return createHash('sha256').update(await files.downloadFile({ fileId: id })).digest('hex');
  } catch (error) {
    if (error instanceof BadRequestError || error instanceof PermissionDeniedError || error instanceof NotFoundError) return null;
    throw error;
  }
}

/**
 * Uploads the state does not record that could be ours: attached to at least one of our
 * assistants and to no other, with the name and size of a manifest file.
 */
export function uploadCandidates(
  live: { assistants: readonly AssistantObject[]; files: readonly OpenAIFile[] },
  isOurs: (assistant: AssistantObject) => boolean,
  recordedIds: ReadonlySet<string>,
  wanted: Iterable<Pick<UploadIdentity, 'filename' | 'bytes'>>,
): OpenAIFile[] {
  const attachedToOurs = new Set<string>();
  const attachedElsewhere = new Set<string>();
  for (const assistant of live.assistants) {
    const into = isOurs(assistant) ? attachedToOurs : attachedElsewhere;
    for (const id of assistant.fileIds ?? []) into.add(id);
  }
  const identities = [...wanted];
  return live.files.filter(
    (file) =>
      attachedToOurs.has(file.id) &&
      !attachedElsewhere.has(file.id) &&
      !recordedIds.has(file.id) &&
      identities.some((identity) => sameNameAndSize(file, identity)),
  );
}

/**
 * The candidates for a manifest and its state: unrecorded uploads attached only to this
 * project and environment's assistants (tagged, or recorded in the state).
 */
export function ourUploadCandidates(
  live: { assistants: readonly AssistantObject[]; files: readonly OpenAIFile[] },
  desired: Pick<DesiredState, 'project' | 'environment' | 'files'>,
  state: Pick<StateFile, 'assistants' | 'files' | 'retiredFiles'> | null,
): OpenAIFile[] {
  const recordedAssistants = new Set(Object.values(state?.assistants ?? {}).map((record) => record.id));
  const isOurs = (assistant: AssistantObject): boolean => {
    return recordedAssistants.has(assistant.id) || isTaggedFor(assistant.metadata, desired);
  };
  return uploadCandidates(live, isOurs, recordedUploadIds(state), Object.values(desired.files));
}

/** The uploads the state records: each file's, and the replaced ones still to delete. */
export function recordedUploadIds(state: Pick<StateFile, 'files' | 'retiredFiles'> | null): Set<string> {
  return new Set([...Object.values(state?.files ?? {}).map((record) => record.id), ...Object.keys(state?.retiredFiles ?? {})]);
}

export interface Leftover {
  file: OpenAIFile;
  window: UnsettledUpload;
}

/**
 * Uploads that may be leftovers of a given-up upload request: not in `claimedIds`, attached
 * to no assistant, with a window's name and size and dated within it. Each is a leftover
 * once its content agrees too (`contentAllows`).
 */
export function leftoverCandidates(
  live: { assistants: readonly AssistantObject[]; files: readonly OpenAIFile[] },
  windows: Iterable<UnsettledUpload>,
  claimedIds: ReadonlySet<string>,
): Leftover[] {
  const open = [...windows];
  if (open.length === 0) return [];
  const attached = new Set(live.assistants.flatMap((assistant) => assistant.fileIds ?? []));
  const found: Leftover[] = [];
  for (const file of live.files) {
    if (claimedIds.has(file.id) || attached.has(file.id)) continue;
    const window = open.find((w) => sameNameAndSize(file, w) && datedSince(file, Date.parse(w.since)) && file.createdAt <= Math.ceil(Date.parse(w.until) / 1000) + 1);
    if (window) found.push({ file, window });
  }
  return found;
}

/** The rule applied: the candidates whose content agrees with their window's (a candidate not read is not one). */
export function recognizeLeftovers(candidates: readonly Leftover[], hashes: UploadHashes): Leftover[] {
  return candidates.filter(({ file, window }) => hashes.has(file.id) && contentAllows(hashes.get(file.id) ?? null, window));
}

/** Reads the content hash of each candidate (one download each, in parallel). */
export async function readUploadHashes(files: FilesApi, candidates: readonly OpenAIFile[]): Promise<Map<string, string | null>> {
  const entries = await Promise.all(candidates.map(async (file) => [file.id, await contentSha256(files, file.id)] as const));
  return new Map(entries);
}

export interface Recognized {
  /**
   * Per manifest file name, the upload to adopt as it (the oldest recognised; `verified`
   * false when the server does not serve its content, so only name and size were compared).
   */
  adopt: Map<string, { file: OpenAIFile; verified: boolean }>;
  /** Every other recognised upload: duplicates, ours to delete. */
  surplus: Array<{ name: string; file: OpenAIFile }>;
}

/**
 * The rule applied: each candidate is matched to a manifest file it is an upload of, one
 * not yet adopted if it can. A candidate without a hash (not read) is not recognised.
 */
export function recognizeUploads(
  candidates: readonly OpenAIFile[],
  hashes: UploadHashes,
  wanted: ReadonlyMap<string, UploadIdentity>,
): Recognized {
  const adopt: Recognized['adopt'] = new Map();
  const surplus: Recognized['surplus'] = [];
  const oldestFirst = [...candidates].sort((a, b) => a.createdAt - b.createdAt || localeCompare(a.id, b.id));
  for (const file of oldestFirst) {
    if (!hashes.has(file.id)) continue;
    const hash = hashes.get(file.id) ?? null;
    const names = [...wanted].filter(([, identity]) => sameNameAndSize(file, identity) && contentAllows(hash, identity)).map(([name]) => name);
    const free = names.find((name) => !adopt.has(name));
    if (free !== undefined) adopt.set(free, { file, verified: hash !== null });
    else if (names[0] !== undefined) surplus.push({ name: names[0], file });
  }
  return { adopt, surplus };
}

/**
 * `state` with what was recognised recorded: each adopted upload as its manifest file's,
 * each surplus one as a retired upload (ours; the next apply deletes it). For `state
 * rebuild` and `import`, which record without planning.
 */
export function recordRecognized(state: StateFile, found: Recognized, wanted: ReadonlyMap<string, UploadIdentity>, at: string): StateFile {
  const files = dictionaryOf(state.files);
  const retiredFiles = dictionaryOf(state.retiredFiles ?? {});
  for (const [name, { file }] of found.adopt) {
    const identity = wanted.get(name)!;
    files[name] = { id: file.id, sha256: identity.sha256, bytes: identity.bytes, filename: identity.filename, updatedAt: at };
  }
  for (const { name, file } of found.surplus) {
    const identity = wanted.get(name)!;
    retiredFiles[file.id] = { name, sha256: identity.sha256, bytes: identity.bytes, filename: identity.filename, since: at };
  }
  const { retiredFiles: _previous, ...rest } = state;
  return { ...rest, files, ...(Object.keys(retiredFiles).length > 0 ? { retiredFiles } : {}) };
}
