/**
 * The planner: (desired, recorded state, live) -> Plan. Pure: no I/O, no clock (the time
 * is an input), so every case can be tested as a table.
 */
import { dirname, relative, sep } from 'node:path';
import type { AssistantObject, OpenAIFile } from '../api/models.js';
import { UserError } from '../errors.js';
import type { DesiredAssistant, DesiredState } from '../manifest/types.js';
import { ASSISTANT_FIELDS, KNOWN_TOOL_TYPES, type AssistantField } from '../assistant-fields.js';
import type { AssistantRecord, FileRecord, StateFile } from '../state/types.js';
import { canonicalJson, sameCanonicalJson } from '../canonical-json.js';
import { SENSITIVE_VALUE } from '../redaction.js';
import { dictionary, dictionaryOf, ownEntry } from '../dictionary.js';
import { localeCompare } from '../natural-sort.js';
import { hashValue } from './hash.js';
import { withPlanHash } from './plan-hash.js';
import { redactChange, type SensitiveValues } from './redact.js';
import { formatOwner, otherOwner, OWNERSHIP_METADATA_KEY, parseOwner, taggedByKey, type Owner } from './ownership.js';
import {
  PLAN_FORMAT_VERSION,
  type ActionReason,
  type AssistantChange,
  type AssistantView,
  type FieldChange,
  type FileChange,
  type Plan,
  type PlanMode,
  type PlanNote,
  type PlanSummary,
} from './types.js';
import {
  leftoverCandidates,
  ourUploadCandidates,
  recognizeLeftovers,
  recognizeUploads,
  recordedUploadIds,
  type Leftover,
  type Recognized,
  type UploadHashes,
} from './uploads.js';
import { desiredView, fieldValue, fileLabel, fileLabelsById, liveView, type FileLabels } from './view.js';

/** What the server holds, as read by refresh. */
export interface LiveState {
  /** Every assistant in the account (ours are picked out by state record or tag). */
  assistants: AssistantObject[];
  /** Every file in the account. */
  files: OpenAIFile[];
  /**
   * Content hashes of the unrecorded uploads that may be ours (`ourUploadCandidates`, read
   * by `readUploadHashes`); without them no upload is recognised (see uploads.ts).
   */
  uploadHashes?: UploadHashes;
  /**
   * hashValue of the live objects, made by refresh while the listing was read (the plan's
   * `prior.liveFingerprints`); the planner hashes any object it lacks. The objects are not
   * changed after refresh hashed them.
   */
  fingerprints?: ReadonlyMap<AssistantObject | OpenAIFile, string>;
}

export interface PlanInput {
  desired: DesiredState;
  state: StateFile | null;
  live: LiveState;
  mode: PlanMode;
  /** The manifest's path as the plan records it (see Plan.manifest). */
  manifest: string;
  /** Manifest keys to limit the plan to; empty for all. */
  targets: readonly string[];
  /** Manifest keys to delete and create again (`--replace`), when they exist. */
  replace?: readonly string[];
  endpoint: string;
  toolVersion: string;
  now: Date;
  /**
   * desiredViewOf each manifest key, made while the live state was read (planning.ts); the
   * planner makes any it lacks.
   */
  desiredViews?: ReadonlyMap<string, AssistantView>;
}

/** The plan every output shows (sensitive values redacted), and the real values apply sends in their place. */
export interface PlanResult {
  plan: Plan;
  sensitiveValues: SensitiveValues;
}

export function createPlan(input: PlanInput): PlanResult {
  const { desired, state, live, mode } = input;
  const inScope = (key: string): boolean => input.targets.length === 0 || input.targets.includes(key);
  // Keyed by manifest names: `constructor` is a key here, not Object.prototype's member.
  const records = dictionaryOf(state?.assistants ?? {});
  const wanted = dictionaryOf(desired.assistants);
  const liveById = new Map(live.assistants.map((a) => [a.id, a]));
  const liveFileById = new Map(live.files.map((f) => [f.id, f]));
  // Only recorded files that still exist label a live attachment: an assistant still
  // naming a deleted file keeps its raw id, so the re-upload's new id gets attached.
  const liveRecords = dictionary(Object.entries(state?.files ?? {}).filter(([, record]) => liveFileById.has(record.id)));
  const recognized: Recognized = mode === 'refresh-only' ? { adopt: new Map(), surplus: [] } : recognizeOurUploads(input, liveRecords);
  const labels: FileLabels = new Map([
    ...fileLabelsById(liveRecords),
    ...[...recognized.adopt].map(([name, { file }]) => [file.id, fileLabel(name, ownEntry(desired.files, name)!.sha256)] as const),
  ]);
  const ownerOf = (key: string): Owner => ({ project: desired.project, environment: desired.environment, key });
  const tagged = taggedByKey(live.assistants, desired);

  refuseRecordsOfOtherOwners(records, liveById, ownerOf, inScope);

  const assistants: AssistantChange[] = [];
  const notes: PlanNote[] = [];
  const claimed = new Set<string>();

  if (mode === 'normal') {
    for (const key of Object.keys(wanted).sort()) {
      if (!inScope(key)) continue;
      const spec = wanted[key] as DesiredAssistant;
      const record = records[key];
      let current = record ? liveById.get(record.id) : undefined;
      let adopted = false;
      if (record) claimed.add(record.id);
      if (!current) {
        // No record, or one whose object is gone: an assistant tagged for this key is ours.
        current = tagged.get(key)?.find((a) => !claimed.has(a.id));
        adopted = current !== undefined;
      }
      if (current) claimed.add(current.id);
      const after = input.desiredViews?.get(key) ?? desiredViewOf(desired, key);
      if (current && input.replace?.includes(key)) {
        assistants.push(change(key, 'delete', 'replace', current.id, liveView(current, labels), null));
        assistants.push(change(key, 'create', 'replace', null, null, after));
        continue;
      }
      if (!current) {
        assistants.push(change(key, 'create', record ? 'gone' : 'new', null, null, after));
        const namesake = live.assistants.find((a) => a.name !== null && a.name === after.name && parseOwner(a.metadata) === null);
        if (namesake) {
          const named = spec.sensitive.includes('name') ? `with this name (${SENSITIVE_VALUE})` : `named "${namesake.name}"`;
          notes.push({
            level: 'info',
            key,
            message: `an assistant ${named} (${namesake.id}) already exists and is not managed; to manage it instead of creating a new one, run: assistants import ${key} ${namesake.id}`,
          });
        }
        continue;
      }
      assistants.push(diffAssistant(key, current, after, adopted ? undefined : record, spec, labels));
    }
  } else if (mode === 'refresh-only') {
    for (const key of Object.keys(records).sort()) {
      if (!inScope(key)) continue;
      const record = records[key] as AssistantRecord;
      const current = liveById.get(record.id);
      claimed.add(record.id);
      const spec = wanted[key];
      assistants.push(
        current
          ? refreshAssistant(key, current, record, spec ? (input.desiredViews?.get(key) ?? desiredViewOf(desired, key)) : null, labels)
          : change(key, 'no-op', 'gone', record.id, null, null),
      );
    }
  }

  if (mode !== 'refresh-only') {
    const removalReason: ActionReason = mode === 'destroy' ? 'destroy' : 'removed-from-manifest';
    const keep = (key: string): boolean => mode === 'normal' && key in wanted;
    for (const key of Object.keys(records).sort()) {
      if (!inScope(key) || keep(key)) continue;
      const record = records[key] as AssistantRecord;
      claimed.add(record.id);
      const current = liveById.get(record.id);
      assistants.push(
        current
          ? change(key, 'delete', removalReason, current.id, liveView(current, labels), null)
          : change(key, 'no-op', 'gone', record.id, null, null),
      );
    }
    // Tagged as ours but not claimed: duplicates of a recorded key, or left without a record.
    // (Keys whose assistants are all claimed are left out before sorting: usually all are.)
    const unclaimed = [...tagged.entries()].filter(([, sameKey]) => sameKey.some((a) => !claimed.has(a.id)));
    for (const [key, sameKey] of unclaimed.sort(([a], [b]) => localeCompare(a, b))) {
      if (!inScope(key)) continue;
      for (const assistant of sameKey) {
        if (claimed.has(assistant.id)) continue;
        claimed.add(assistant.id);
        const reason: ActionReason = mode === 'destroy' ? 'destroy' : 'orphan';
        assistants.push(change(key, 'delete', reason, assistant.id, liveView(assistant, labels), null));
      }
    }
  }

  if (mode === 'destroy') refusePreventedDestroys(assistants, wanted);
  else refusePreventedDestroys(assistants.filter((a) => a.reason === 'replace'), wanted);

  // A part is sensitive when the manifest makes it with a sensitive variable now, or did when it was last applied.
  const sensitivePathsOf = (key: string): string[] => [...(wanted[key]?.sensitive ?? []), ...(records[key]?.sensitive ?? [])];
  for (const entry of assistants) {
    for (const tool of entry.before?.tools ?? []) {
      const type = tool !== null && typeof tool === 'object' && !Array.isArray(tool) ? tool.type : undefined;
      if (typeof type !== 'string' || !KNOWN_TOOL_TYPES.has(type)) {
        const shown = sensitivePathsOf(entry.key).includes('tools') ? SENSITIVE_VALUE : canonicalJson(tool);
        notes.push({
          level: 'warning',
          key: entry.key,
          message: `${entry.id} has a tool of a type this version does not know (${shown}); it is shown as is${entry.action === 'update' ? ' and apply replaces the tools with the manifest\'s' : ''}`,
        });
      }
    }
  }
  const sensitiveValues = new Map<string, AssistantView>();
  const shownAssistants = assistants.map((entry) => {
    const redacted = redactChange(entry, sensitivePathsOf(entry.key));
    if (redacted.sensitive.length > 0 && entry.after !== null) sensitiveValues.set(entry.key, entry.after);
    return redacted;
  });

  for (const [name, { file, verified }] of recognized.adopt) {
    if (verified || mode !== 'normal') continue;
    notes.push({
      level: 'info',
      key: null,
      message: `file "${name}": ${file.id} is taken as its upload by name and size; the server does not serve its content, so the content could not be compared`,
    });
  }
  const leftovers = mode === 'refresh-only' ? [] : leftoversOf(input);
  const files = planFiles(input, inScope, liveFileById, recognized, leftovers);
  const plan: Plan = withPlanHash({
    formatVersion: PLAN_FORMAT_VERSION,
    toolVersion: input.toolVersion,
    createdAt: input.now.toISOString(),
    mode,
    manifest: input.manifest,
    project: desired.project,
    environment: desired.environment,
    endpoint: input.endpoint,
    targets: [...input.targets].sort(),
    files,
    assistants: shownAssistants,
    notes,
    summary: planSummary(assistants, files),
    prior: {
      manifestHash: desired.manifestHash,
      lineage: state?.lineage ?? null,
      serial: state?.serial ?? null,
      liveFingerprints: fingerprints(assistants, files, live, liveById, liveFileById),
    },
  });
  return { plan, sensitiveValues };
}

/** The manifest's assistant `key` as a view, tagged as this project and environment's. */
export function desiredViewOf(desired: DesiredState, key: string): AssistantView {
  return desiredView(ownEntry(desired.assistants, key)!, { project: desired.project, environment: desired.environment, key }, desired.files);
}

/** The counts of the summary, as apply counts what it did. */
export function planSummary(assistants: readonly AssistantChange[], files: readonly FileChange[]): PlanSummary {
  return {
    add: assistants.filter((a) => a.action === 'create').length,
    change: assistants.filter((a) => a.action === 'update').length,
    destroy: assistants.filter((a) => a.action === 'delete').length,
    filesUpload: files.filter((f) => f.action === 'upload').length,
    // The old copy of a replaced file is deleted too, after its replacement is attached.
    filesDelete: files.filter((f) => f.action === 'delete' || (f.action === 'upload' && f.id !== null)).length,
  };
}

/** True when applying the plan would change anything (assistants, files or state records). */
export function planHasChanges(plan: Plan): boolean {
  return plan.assistants.some((a) => a.action !== 'no-op') || plan.files.some((f) => f.action !== 'no-op') || stateOnlyChanges(plan) > 0;
}

/**
 * Entries whose apply writes the state and sends nothing: an assistant adopted by its tag,
 * an upload recognised as ours, and records of objects deleted outside the tool, which are
 * dropped.
 */
export function stateOnlyChanges(plan: Pick<Plan, 'assistants' | 'files'>): number {
  return (
    plan.assistants.filter((a) => a.action === 'no-op' && (a.reason === 'adopt' || a.reason === 'gone')).length +
    plan.files.filter((f) => f.action === 'no-op' && (f.reason === 'gone' || f.reason === 'adopt')).length
  );
}

function diffAssistant(
  key: string,
  current: AssistantObject,
  desiredAfter: AssistantView,
  record: AssistantRecord | undefined,
  spec: DesiredAssistant,
  labels: FileLabels,
): AssistantChange {
  const before = liveView(current, labels);
  const after: AssistantView = { ...desiredAfter };
  const changes: FieldChange[] = [];
  const ignored: AssistantField[] = [];
  for (const field of ASSISTANT_FIELDS) {
    const beforeValue = fieldValue(before, field);
    if (sameCanonicalJson(beforeValue, fieldValue(after, field))) continue;
    if (spec.lifecycle.ignoreChanges.includes(field)) {
      ignored.push(field);
      // Apply must leave an ignored field as the server has it.
      (after as unknown as Record<string, unknown>)[field] = beforeValue;
      continue;
    }
    const drifted = record !== undefined && record.applied[field] !== hashValue(beforeValue);
    changes.push({ field, before: beforeValue, after: fieldValue(after, field), cause: drifted ? 'drift' : 'manifest' });
  }
  const reason: ActionReason =
    record === undefined
      ? 'adopt'
      : changes.length === 0
        ? 'unchanged'
        : changes.every((c) => c.cause === 'drift')
          ? 'drift'
          : 'changed-in-manifest';
  return { key, action: changes.length > 0 ? 'update' : 'no-op', reason, id: current.id, before, after, changes, ignored, sensitive: [] };
}

/**
 * Refresh-only: what changed on the server since the last apply. The "before" of a field
 * is the manifest's value when it still equals what was applied, else null (unknown:
 * the state keeps hashes, not values).
 */
function refreshAssistant(
  key: string,
  current: AssistantObject,
  record: AssistantRecord,
  desiredNow: AssistantView | null,
  labels: FileLabels,
): AssistantChange {
  const live = liveView(current, labels);
  const changes: FieldChange[] = [];
  for (const field of ASSISTANT_FIELDS) {
    const liveValue = fieldValue(live, field);
    if (record.applied[field] === hashValue(liveValue)) continue;
    const desiredValue = desiredNow ? fieldValue(desiredNow, field) : null;
    const known = desiredNow !== null && record.applied[field] === hashValue(desiredValue);
    changes.push({ field, before: known ? desiredValue : null, after: liveValue, cause: 'drift' });
  }
  return {
    key,
    action: changes.length > 0 ? 'record' : 'no-op',
    reason: changes.length > 0 ? 'drift' : 'unchanged',
    id: current.id,
    before: live,
    after: live,
    changes,
    ignored: [],
    sensitive: [],
  };
}

/**
 * Uploads the state does not record but the rule in uploads.ts recognises as ours. One
 * whose file is still recorded (and exists) is a duplicate.
 */
function recognizeOurUploads(input: PlanInput, liveRecords: Record<string, FileRecord>): Recognized {
  const { desired, state, live } = input;
  // A candidate is recognised only with its content's hash read (recognizeUploads): with none read, none is.
  if (live.uploadHashes === undefined || live.uploadHashes.size === 0) return { adopt: new Map(), surplus: [] };
  const found = recognizeUploads(ourUploadCandidates(live, desired, state), live.uploadHashes ?? new Map(), new Map(Object.entries(desired.files)));
  for (const [name, { file }] of [...found.adopt]) {
    if (!Object.hasOwn(liveRecords, name)) continue;
    found.adopt.delete(name);
    found.surplus.push({ name, file });
  }
  return found;
}

/** Uploads of ours that landed after the look-up for them (uploads.ts): the state's unsettled uploads. */
function leftoversOf({ state, live }: PlanInput): Leftover[] {
  const candidates = leftoverCandidates(live, Object.values(state?.unsettledUploads ?? {}), recordedUploadIds(state));
  return recognizeLeftovers(candidates, live.uploadHashes ?? new Map());
}

function planFiles(
  input: PlanInput,
  inScope: (key: string) => boolean,
  liveFileById: Map<string, OpenAIFile>,
  recognized: Recognized,
  leftovers: readonly Leftover[],
): FileChange[] {
  const { desired, state, mode } = input;
  const recorded = dictionaryOf(state?.files ?? {});
  const desiredFiles = dictionaryOf(desired.files);
  const files: FileChange[] = [];
  if (mode === 'refresh-only') {
    for (const name of Object.keys(recorded).sort()) {
      const record = recorded[name]!;
      if (!liveFileById.has(record.id)) files.push(fileChange(name, 'no-op', 'gone', record.id, null, record, null));
    }
    return files;
  }
  const wanted = new Set<string>();
  if (mode === 'normal') {
    if (input.targets.length === 0) for (const name of Object.keys(desired.files)) wanted.add(name);
    else for (const [key, a] of Object.entries(desired.assistants)) if (inScope(key)) for (const f of a.files) wanted.add(f);
  }
  for (const name of [...wanted].sort()) {
    const file = desiredFiles[name]!;
    const record = recorded[name];
    const exists = record !== undefined && liveFileById.has(record.id);
    const base = { path: manifestRelative(desired.manifestPath, file.path), filename: file.filename, bytes: file.bytes, sha256: file.sha256 };
    const adopted = recognized.adopt.get(name);
    if (record && exists && record.sha256 === file.sha256) {
      files.push({ name, action: 'no-op', reason: 'unchanged', id: record.id, ...base, previousSha256: null });
    } else if (adopted) {
      files.push({ name, action: 'no-op', reason: 'adopt', id: adopted.file.id, ...base, previousSha256: null });
    } else if (record && exists) {
      files.push({ name, action: 'upload', reason: 'changed-in-manifest', id: record.id, ...base, previousSha256: record.sha256 });
    } else {
      files.push({ name, action: 'upload', reason: record ? 'gone' : 'new', id: null, ...base, previousSha256: null });
    }
  }
  // Deleting files is skipped under --target: an assistant outside the targets may still use them.
  if (input.targets.length === 0) {
    for (const name of Object.keys(recorded).sort()) {
      if (wanted.has(name)) continue;
      const record = recorded[name]!;
      const exists = liveFileById.has(record.id);
      const reason: ActionReason = !exists ? 'gone' : mode === 'destroy' ? 'destroy' : 'removed-from-manifest';
      files.push(fileChange(name, exists ? 'delete' : 'no-op', reason, record.id, null, record, null));
    }
    // Recognised uploads of ours not taken as a manifest file's: duplicates, or (destroy) all.
    const ours = [
      ...recognized.surplus,
      ...(mode === 'destroy' ? [...recognized.adopt].map(([name, { file }]) => ({ name, file })) : []),
    ];
    for (const { name, file } of ours) {
      const identity = desiredFiles[name]!;
      files.push(fileChange(name, 'delete', mode === 'destroy' ? 'destroy' : 'orphan', file.id, null, identity, null));
    }
    for (const { file, window } of leftovers) {
      files.push(fileChange(window.name, 'delete', mode === 'destroy' ? 'destroy' : 'orphan', file.id, null, window, null));
    }
    // Uploads a newer one replaced, whose deletion did not happen (the run stopped first).
    const retired = state?.retiredFiles ?? {};
    for (const id of Object.keys(retired).sort()) {
      const old = retired[id]!;
      const exists = liveFileById.has(id);
      files.push(fileChange(old.name, exists ? 'delete' : 'no-op', exists ? 'orphan' : 'gone', id, null, old, null));
    }
  }
  return files;
}

/**
 * A file's path relative to the manifest's folder, with `/` separators: a saved plan then
 * applies from any checkout of the repository, and a PR comment shows no runner paths.
 */
function manifestRelative(manifestPath: string, filePath: string): string {
  const folder = dirname(manifestPath);
  // A file under the folder by a plain path (no empty, `.` or `..` part) is the rest of its
  // path: what relative() returns, without its ~10 µs a file of resolving both.
  if (filePath.startsWith(folder + sep)) {
    const parts = filePath.slice(folder.length + 1).split(sep);
    if (parts.every((part) => part !== '' && part !== '.' && part !== '..' && !(sep === '\\' && part.includes('/')))) return parts.join('/');
  }
  return relative(folder, filePath).split(sep).join('/');
}

function fileChange(
  name: string,
  action: FileChange['action'],
  reason: ActionReason,
  id: string | null,
  path: string | null,
  record: { filename: string; bytes: number; sha256: string },
  previousSha256: string | null,
): FileChange {
  return { name, action, reason, id, path, filename: record.filename, bytes: record.bytes, sha256: record.sha256, previousSha256 };
}

function change(
  key: string,
  action: AssistantChange['action'],
  reason: ActionReason,
  id: string | null,
  before: AssistantView | null,
  after: AssistantView | null,
): AssistantChange {
  return { key, action, reason, id, before, after, changes: [], ignored: [], sensitive: [] };
}

/**
 * A state record naming an assistant whose tag names another owner (another project,
 * environment or key): planning would retag it as ours and change or delete it, as
 * `import` refuses to. Only records in scope: `--target` leaves the others alone.
 */
function refuseRecordsOfOtherOwners(
  records: Readonly<Record<string, AssistantRecord>>,
  liveById: ReadonlyMap<string, AssistantObject>,
  ownerOf: (key: string) => Owner,
  inScope: (key: string) => boolean,
): void {
  for (const key of Object.keys(records).sort()) {
    const record = records[key] as AssistantRecord;
    const other = inScope(key) ? otherOwner(liveById.get(record.id)?.metadata, ownerOf(key)) : null;
    if (other === null) continue;
    throw new UserError(
      'STATE',
      `the state records assistant "${key}" as ${record.id}, but ${record.id} is owned by ${formatOwner(other)} (its ${OWNERSHIP_METADATA_KEY} tag); ` +
        `it will not be taken from its owner. Run "assistants state rm ${key}" to forget it (the tag stays), then plan again.`,
    );
  }
}

function refusePreventedDestroys(assistants: AssistantChange[], desired: Readonly<Record<string, DesiredAssistant>>): void {
  const blocked = assistants.filter((a) => a.action === 'delete' && desired[a.key]?.lifecycle.preventDestroy);
  if (blocked.length === 0) return;
  const lines = blocked.map((a) => {
    const source = desired[a.key]!.source;
    return `${source.file}:${source.line}:${source.column}: assistants.${a.key} has lifecycle.prevent_destroy: true; remove it to allow destroying ${a.id}, or leave the key out with --target`;
  });
  throw new UserError(
    'PREVENT_DESTROY',
    `Refusing to destroy ${blocked.length} assistant${blocked.length === 1 ? '' : 's'} protected by lifecycle.prevent_destroy.`,
    lines,
  );
}

function fingerprints(
  assistants: AssistantChange[],
  files: FileChange[],
  { fingerprints: made }: LiveState,
  liveById: Map<string, AssistantObject>,
  liveFileById: Map<string, OpenAIFile>,
): Record<string, string> {
  const live = new Map<string, AssistantObject | OpenAIFile>();
  const fingerprintOf = (object: AssistantObject | OpenAIFile): string => made?.get(object) ?? hashValue(object);
  for (const a of assistants) {
    const object = a.id ? liveById.get(a.id) : undefined;
    if (object) live.set(object.id, object);
  }
  for (const f of files) {
    const object = f.id ? liveFileById.get(f.id) : undefined;
    if (object) live.set(object.id, object);
  }
  // In sorted order, as the plan's JSON lists them (plan-json.ts then takes them as they are).
  return dictionary([...live.keys()].sort().map((id) => [id, fingerprintOf(live.get(id)!)] as const));
}
