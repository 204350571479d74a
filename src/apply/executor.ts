/**
 * The applier: runs a Plan against the API. Every finished operation is appended to the
 * journal before anything else happens, so a crash or Ctrl-C at any moment loses no
 * record of what was created; the caller folds the journal into the state at the end.
 */
import { resolve } from 'node:path';
import type { AssistantObject, AssistantTool, CreateAssistantRequest, OpenAIFile } from '../api/models.js';
import { isTaggedAs, parseOwner } from '../plan/ownership.js';
import type { AssistantChange, AssistantView, FileChange, Plan } from '../plan/types.js';
import { contentAllows, datedSince, LATE_ARRIVAL_MS, leftoverCandidates, sameNameAndSize, type UploadIdentity } from '../plan/uploads.js';
import { fieldHashes, fileNameOfLabel } from '../plan/view.js';
import type { JournalEntry } from '../state/journal.js';
import { readAttachedFile } from '../manifest/attached-files.js';
import type { FieldHashes, StateFile, UnsettledUpload } from '../state/types.js';
import { ownEntry } from '../dictionary.js';
import { scrubValues, type SensitivePath } from '../redaction.js';
import { sensitiveStrings, type SensitiveValues } from '../plan/redact.js';
import { buildGraph, type Operation, type OperationNode } from './graph.js';
import { runGraph } from './pool.js';
import { ADAPTIVE_LIMIT, AdaptiveLimit } from './concurrency.js';
import { Pacer, retryPaced, type RecoveryWindow } from '../api/paced-retry.js';
import { systemClock, type RetryClock } from '../api/retry.js';
import type { ApplyApi } from './api.js';

export interface ApplyOptions {
  /**
   * The most requests in flight at once (`--parallelism`): the bound of the limit that
   * adapts to the server (concurrency.ts), ADAPTIVE_LIMIT.max when not given.
   */
  parallelism?: number | undefined;
  /** The manifest's folder: file paths in a plan are relative to it. */
  manifestDir: string;
  /** Attempts per operation, the first included. */
  maxAttempts?: number;
  /** The real `after` views of the changes the plan shows redacted (createPlan hands them back). */
  sensitiveValues?: SensitiveValues;
  /** True once the user asked to stop (Ctrl-C): nothing new starts. */
  shouldStop?: () => boolean;
  /**
   * Aborted when requests in flight are given up (a second Ctrl-C): the API calls carry it
   * too, and no operation waits any longer for a retry or the rate limit.
   */
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  /** Time for the retries, the pacing and the recovery windows (default: the system's). */
  clock?: RetryClock;
}

export type ProgressEvent =
  | { type: 'start'; total: number }
  | { type: 'done'; node: OperationNode; detail: string }
  | { type: 'failed'; node: OperationNode; message: string }
  | { type: 'retry'; node: OperationNode; attempt: number; message: string }
  /** A 429: the request waits for the pacer and is sent again. */
  | { type: 'throttled'; node: OperationNode };

export interface ApplyReport {
  done: OperationNode[];
  failed: Array<{ node: OperationNode; message: string }>;
  skipped: OperationNode[];
  notStarted: OperationNode[];
  /**
   * What requests given up in this run made after all (they landed after the look-up for
   * them missed, and were sent again), found and deleted before the run reports.
   */
  leftovers: Leftover[];
  /** Why looking for those failed (the state keeps what the next plan looks for), or null. */
  leftoverError: string | null;
}

export interface Leftover {
  kind: 'assistant' | 'file';
  /** The manifest key or file name it was made for. */
  name: string;
  id: string;
}

export interface Journal {
  append(entry: JournalEntry): Promise<void>;
}

export async function applyPlan(
  plan: Plan,
  state: StateFile,
  api: ApplyApi,
  journal: Journal,
  options: ApplyOptions,
): Promise<ApplyReport> {
  const nodes = buildGraph(plan);
  // A server may quote what it was sent in an error: no message shows a sensitive value.
  const secrets = plan.assistants.flatMap((change) => {
    const revealed = options.sensitiveValues?.get(change.key);
    return revealed === undefined ? [] : sensitiveStrings(revealed, change.sensitive);
  });
  const describe = (error: unknown): string => scrubValues(errorMessage(error), secrets);
  const run = new PlanRun(plan, state, api, journal, options, describe);
  options.onProgress?.({ type: 'start', total: nodes.length });
  const stopped = (): boolean => (options.shouldStop?.() ?? false) || options.signal?.aborted === true;
  const outcome = await runGraph(nodes, run.concurrency, (node) => run.execute(node), options.shouldStop ?? (() => false));
  const complete = outcome.failed.length === 0 && outcome.skipped.length === 0 && outcome.notStarted.length === 0;
  const swept = stopped() ? { leftovers: [], error: null } : await run.deleteLeftovers();
  if (complete && swept.error === null && !stopped()) await run.settleWindows();
  return {
    done: outcome.succeeded,
    failed: outcome.failed.map(({ task, error }) => ({ node: task, message: describe(error) })),
    skipped: outcome.skipped,
    notStarted: outcome.notStarted,
    leftovers: swept.leftovers,
    leftoverError: swept.error,
  };
}

class PlanRun {
  private readonly clock: RetryClock;
  private readonly pacer: Pacer;
  readonly concurrency: AdaptiveLimit;
  /** Current file id by manifest name: the state's, then each upload's. */
  private readonly fileIds = new Map<string, string>();
  /** Ids this run has recorded, so recovery never claims one twice. */
  private readonly claimed = new Set<string>();
  /** Uploads a dead run started and may have finished, by file name. */
  private readonly pendingUploads: NonNullable<StateFile['pendingUploads']>;
  /** Windows this run opened: uploads given up, not found, sent again. */
  private readonly openedWindows: UnsettledUpload[] = [];
  /** Keys whose create was given up, not found and sent again: a second one may land. */
  private readonly unsettledCreates = new Set<string>();
  private assistantListing: Listing<AssistantObject[]> | null = null;
  private fileListing: Listing<OpenAIFile[]> | null = null;

  constructor(
    private readonly plan: Plan,
    private readonly state: StateFile,
    private readonly api: ApplyApi,
    private readonly journal: Journal,
    private readonly options: ApplyOptions,
    private readonly describe: (error: unknown) => string,
  ) {
    this.clock = options.clock ?? systemClock;
    this.pacer = new Pacer(this.clock);
    this.concurrency = new AdaptiveLimit(Math.max(1, options.parallelism ?? ADAPTIVE_LIMIT.max), this.clock);
    for (const [name, record] of Object.entries(state.files)) this.fileIds.set(name, record.id);
    for (const record of Object.values(state.assistants)) this.claimed.add(record.id);
    for (const record of Object.values(state.files)) this.claimed.add(record.id);
    // Whatever the plan itself names (an orphan it deletes, say) is not free to be recovered.
    for (const entry of [...plan.assistants, ...plan.files]) if (entry.id) this.claimed.add(entry.id);
    // An upload recognised as a manifest file's is attached under that name from the start.
    for (const file of plan.files) if (file.action === 'no-op' && file.reason === 'adopt' && file.id) this.fileIds.set(file.name, file.id);
    this.pendingUploads = state.pendingUploads ?? {};
  }

  async execute(node: OperationNode): Promise<void> {
    try {
      const detail = await this.perform(node, node.op);
      this.options.onProgress?.({ type: 'done', node, detail });
    } catch (error) {
      this.options.onProgress?.({ type: 'failed', node, message: this.describe(error) });
      throw error;
    }
  }

  private async perform(node: OperationNode, op: Operation): Promise<string> {
    const at = (): string => new Date().toISOString();
    switch (op.kind) {
      case 'upload': {
        const file = await this.upload(node, op.file);
        this.fileIds.set(op.file.name, file.id);
        await this.journal.append({ op: 'file.uploaded', name: op.file.name, id: file.id, sha256: op.file.sha256, bytes: op.file.bytes, filename: op.file.filename, replaces: op.file.id, at: at() });
        return file.id;
      }
      case 'create': {
        const created = await this.create(node, op.change);
        await this.journal.append({ op: 'assistant.created', key: op.change.key, id: created.id, ...this.applied(op.change), at: at() });
        return created.id;
      }
      case 'update': {
        const id = op.change.id as string;
        await this.attempt(node, () => this.api.modifyAssistant(id, this.modifyBody(op.change)));
        await this.journal.append({ op: 'assistant.updated', key: op.change.key, id, ...this.applied(op.change), at: at() });
        return id;
      }
      case 'delete': {
        const id = op.change.id as string;
        await this.attempt(node, () => this.api.deleteAssistant(id), { notFoundIsDone: true });
        await this.journal.append({ op: 'assistant.deleted', key: op.change.key, id, at: at() });
        return id;
      }
      case 'delete-file': {
        await this.attempt(node, () => this.api.deleteFile(op.id), { notFoundIsDone: true });
        await this.journal.append({ op: 'file.deleted', name: op.name, id: op.id, at: at() });
        return op.id;
      }
      case 'record': {
        const id = op.change.id as string;
        await this.journal.append({ op: 'assistant.updated', key: op.change.key, id, ...this.applied(op.change), at: at() });
        return id;
      }
      case 'forget-assistant':
        await this.journal.append({ op: 'assistant.deleted', key: op.key, id: op.id, at: at() });
        return op.id;
      case 'adopt-file': {
        const id = op.file.id as string;
        await this.journal.append({ op: 'file.uploaded', name: op.file.name, id, sha256: op.file.sha256, bytes: op.file.bytes, filename: op.file.filename, replaces: null, at: at() });
        return id;
      }
      case 'forget-file':
        await this.journal.append({ op: 'file.deleted', name: op.name, id: op.id, at: at() });
        return op.id;
    }
  }

  /** What the change makes of the assistant, with the real values of its sensitive parts. */
  private after(change: AssistantChange): AssistantView {
    if (!change.after) throw new Error(`plan entry ${change.key} has no "after"`);
    if (change.sensitive.length === 0) return change.after;
    const revealed = this.options.sensitiveValues?.get(change.key);
    if (!revealed) throw new Error(`plan entry ${change.key} has sensitive values that were not given to apply`);
    return revealed;
  }

  /** The state record's fields for a change once applied: hashes of every field, and which parts are sensitive. */
  private applied(change: AssistantChange): { applied: FieldHashes; sensitive?: SensitivePath[] } {
    const applied = fieldHashes(this.after(change));
    return change.sensitive.length === 0 ? { applied } : { applied, sensitive: change.sensitive.map((part) => part.path) };
  }

  /**
   * Creates an assistant at most once. After a failure that may have reached the server
   * (timeout, dropped connection, 5xx), it first looks for an assistant carrying this
   * key's ownership tag that nobody has claimed, and takes that one instead.
   */
  private async create(node: OperationNode, change: AssistantChange): Promise<AssistantObject> {
    const owner = { project: this.plan.project, environment: this.plan.environment, key: change.key };
    const body = this.createBody(change);
    const created = await this.attempt(node, () => this.api.createAssistant(body), {
      recover: async ({ failedAt }) => {
        const found = (await this.assistantsListedAfter(failedAt)).find(
          (a) => isTaggedAs(a.metadata, owner) && !this.claimed.has(a.id),
        );
        // Sent again: the one given up may still land (deleteLeftovers, or the next plan by its tag).
        if (found === undefined) this.unsettledCreates.add(change.key);
        return found ?? null;
      },
    });
    this.claimed.add(created.id);
    return created;
  }

  /**
   * Uploads a file at most once. Files carry no tag, so an upload is recognised by the rule
   * of plan/uploads.ts (name, size, content where served), bounded by time instead of by
   * attachment: after an ambiguous failure in this run, and before uploading again what a
   * dead run had started (its intent is in the state).
   */
  private async upload(node: OperationNode, file: FileChange): Promise<OpenAIFile> {
    if (!file.path) throw new Error(`plan entry for file ${file.name} has no path`);
    const path = resolve(this.options.manifestDir, file.path);
    // Read once, whole when small (the manifest loader's rule): the bytes hashed are the bytes sent.
    const { sha256: actual, content } = await readAttachedFile(path);
    if (actual !== file.sha256) {
      throw new Error(`${path} changed since the plan was made (sha256 ${actual.slice(0, 12)}, planned ${file.sha256.slice(0, 12)}); run plan again`);
    }
    const findUpload = async ({ startedAt, failedAt }: RecoveryWindow): Promise<OpenAIFile | null> => {
      for (const candidate of await this.filesListedAfter(failedAt)) {
        if (this.claimed.has(candidate.id) || !sameNameAndSize(candidate, file) || !datedSince(candidate, startedAt)) continue;
        if (contentAllows(await this.api.contentSha256(candidate.id), file)) return candidate;
      }
      return null;
    };
    // A file may be named `constructor`: only the record's own entries count.
    const pending = ownEntry(this.pendingUploads, file.name);
    const leftOver =
      pending?.sha256 === file.sha256
        ? await this.attempt(node, () => findUpload({ startedAt: Date.parse(pending.startedAt), failedAt: this.clock.now() }))
        : null;
    if (leftOver) {
      this.claimed.add(leftOver.id);
      return leftOver;
    }
    // The dead run's upload (of this content or an older one) was not found: it may still land.
    if (pending) await this.openWindow(file.name, pending, Date.parse(pending.startedAt));
    await this.journal.append({ op: 'file.upload-started', name: file.name, sha256: file.sha256, bytes: file.bytes, filename: file.filename, at: new Date().toISOString() });
    const uploaded = await this.attempt(node, () => this.api.uploadFile(path, file.filename, content), {
      recover: async (window) => {
        const found = await findUpload(window);
        if (found === null) await this.openWindow(file.name, file, window.startedAt);
        return found;
      },
    });
    this.claimed.add(uploaded.id);
    return uploaded;
  }

  /**
   * Journals that an upload of `identity` sent since `sinceMs` may land unseen (before it is
   * sent again), so a plan looks for it even if this process dies.
   */
  private async openWindow(name: string, identity: UploadIdentity, sinceMs: number): Promise<void> {
    const now = this.clock.now();
    const window: UnsettledUpload = {
      name,
      sha256: identity.sha256,
      bytes: identity.bytes,
      filename: identity.filename,
      since: new Date(sinceMs).toISOString(),
      until: new Date(now + LATE_ARRIVAL_MS).toISOString(),
    };
    await this.journal.append({ op: 'file.upload-unsettled', ...window, at: new Date(now).toISOString() });
    this.openedWindows.push(window);
  }

  /**
   * After the graph: what requests given up in this run made after all, if it is there by
   * now, is deleted (one fresh listing each of assistants and files). What lands later, the
   * next plan deletes: an assistant by its tag, an upload by the window in the state.
   */
  async deleteLeftovers(): Promise<{ leftovers: Leftover[]; error: string | null }> {
    const leftovers: Leftover[] = [];
    if (this.unsettledCreates.size === 0 && this.openedWindows.length === 0) return { leftovers, error: null };
    const at = (): string => new Date().toISOString();
    try {
      const since = this.clock.now();
      const assistants = await this.attempt(null, () => this.assistantsListedAfter(since));
      for (const key of this.unsettledCreates) {
        const owner = { project: this.plan.project, environment: this.plan.environment, key };
        for (const extra of assistants.filter((a) => isTaggedAs(a.metadata, owner) && !this.claimed.has(a.id))) {
          await this.attempt(null, () => this.api.deleteAssistant(extra.id), { notFoundIsDone: true });
          await this.journal.append({ op: 'assistant.deleted', key, id: extra.id, at: at() });
          leftovers.push({ kind: 'assistant', name: key, id: extra.id });
        }
      }
      if (this.openedWindows.length > 0) {
        const files = await this.attempt(null, () => this.filesListedAfter(since));
        for (const { file, window } of leftoverCandidates({ assistants, files }, this.openedWindows, this.claimed)) {
          if (!contentAllows(await this.attempt(null, () => this.api.contentSha256(file.id)), window)) continue;
          await this.attempt(null, () => this.api.deleteFile(file.id), { notFoundIsDone: true });
          await this.journal.append({ op: 'file.deleted', name: window.name, id: file.id, at: at() });
          leftovers.push({ kind: 'file', name: window.name, id: file.id });
        }
      }
      return { leftovers, error: null };
    } catch (error) {
      return { leftovers, error: this.describe(error) };
    }
  }

  /**
   * Closes the state's windows that had closed before the plan was made: the plan looked
   * for their leftovers after any could appear, and this run deleted them. (Under --target
   * or refresh-only a plan deletes no file, so nothing closes.)
   */
  async settleWindows(): Promise<void> {
    if (this.plan.mode === 'refresh-only' || this.plan.targets.length > 0) return;
    const planned = Date.parse(this.plan.createdAt);
    const reopened = new Set(this.openedWindows.map((window) => window.sha256));
    for (const window of Object.values(this.state.unsettledUploads ?? {})) {
      // A second of skew either way between our clock and the server's dates.
      if (Date.parse(window.until) + 2_000 >= planned || reopened.has(window.sha256)) continue;
      await this.journal.append({ op: 'file.upload-settled', sha256: window.sha256, at: new Date().toISOString() });
    }
  }

  /** The view as the API takes it: tools as sent, manifest file names as file ids. */
  private createBody(change: AssistantChange): Required<CreateAssistantRequest> {
    const { tools, files, ...fields } = this.after(change);
    return { ...fields, tools: tools as unknown as AssistantTool[], fileIds: this.resolveFiles(files) };
  }

  /** Only the fields that change; metadata is sent whole, as the API replaces it whole. */
  private modifyBody(change: AssistantChange): Record<string, unknown> {
    const full = this.createBody(change);
    const body: Record<string, unknown> = {};
    for (const { field } of change.changes) {
      if (field === 'files') body.fileIds = full.fileIds;
      else body[field] = full[field];
    }
    // A recorded assistant missing its tag gets it back with any other change.
    if (!parseOwner(change.before?.metadata) && !('metadata' in body)) body.metadata = full.metadata;
    return body;
  }

  private resolveFiles(labels: string[]): string[] {
    return labels.map((label) => {
      const name = fileNameOfLabel(label);
      if (name === null) return label;
      const id = this.fileIds.get(name);
      if (!id) throw new Error(`file ${name} has no id yet; its upload did not finish`);
      return id;
    });
  }

  /**
   * One request under the retry policy (api/retry.ts, through paced-retry.ts), the whole
   * plan's requests sharing one pacer; its retries are reported as the node's (none for
   * the look for leftovers, which is no node).
   */
  private attempt<T>(
    node: OperationNode | null,
    send: () => Promise<T>,
    extra: { notFoundIsDone?: boolean; recover?: (window: RecoveryWindow) => Promise<T | null> } = {},
  ): Promise<T> {
    return retryPaced(send, {
      pacer: this.pacer,
      maxAttempts: this.options.maxAttempts ?? 6,
      signal: this.options.signal,
      notFound: extra.notFoundIsDone ? () => undefined as T : undefined,
      recover: extra.recover,
      onRetry: (attempt, error) => node && this.options.onProgress?.({ type: 'retry', node, attempt, message: this.describe(error) }),
      onThrottled: () => node && this.options.onProgress?.({ type: 'throttled', node }),
      observer: this.concurrency,
    });
  }

  /** All assistants, listed by requests that started after `sinceMs`; callers share a listing that qualifies. */
  private assistantsListedAfter(sinceMs: number): Promise<AssistantObject[]> {
    this.assistantListing = sharedListing(this.assistantListing, sinceMs, this.clock, () => this.api.listAllAssistants());
    return this.assistantListing.result;
  }

  private filesListedAfter(sinceMs: number): Promise<OpenAIFile[]> {
    this.fileListing = sharedListing(this.fileListing, sinceMs, this.clock, () => this.api.listFiles());
    return this.fileListing.result;
  }
}

interface Listing<T> {
  startedAt: number;
  result: Promise<T>;
  failed: boolean;
}

/** The current listing if it started after `sinceMs` and has not failed, else a new one. */
function sharedListing<T>(current: Listing<T> | null, sinceMs: number, clock: RetryClock, list: () => Promise<T>): Listing<T> {
  if (current && current.startedAt > sinceMs && !current.failed) return current;
  const listing: Listing<T> = { startedAt: clock.now(), result: list(), failed: false };
  listing.result.catch(() => {
    listing.failed = true;
  });
  return listing;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
