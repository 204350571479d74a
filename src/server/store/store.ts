/**
 * The server's data behind one interface, with two implementations that behave alike (one
 * conformance suite runs against both):
 *
 * - the embedded store (embedded/): records in memory, persisted to an append-only journal
 *   with `--data`, uploads in a folder; one process;
 * - the PostgreSQL store (postgres/): everything in the database, including the uploads'
 *   bytes, so several `serve` processes (replicas) act as one API.
 *
 *   const assistant = await store.read.get('assistants', id);
 *   await store.transaction(async (tx) => {
 *     const thread = await tx.lockThread(threadId);            // writers of one thread queue up
 *     await tx.insert('messages', message);
 *   });
 *
 * Records are the API's JSON objects (assistants without `file_ids`, which are
 * `assistant_files` links). Every collection keeps creation order: `list` and `page` return
 * records oldest first, as the embedded store always did; ids are the API's.
 */
import type { ListPage, PageQuery } from '../pagination.js';
import type { UploadsOnDisk } from '../retrieval/retrieval.js';
import type { ObjectCounts } from '../stats.js';
import type { AssistantFileLink, AssistantRecord } from '../routes/assistants.js';
import type { OpenAIFile } from '../routes/files.js';
import type { RunProgress } from '../threads/data.js';
import type { AssistantStreamEvent } from '../threads/events.js';
import type { MessageObject, RunObject, RunStepObject, ThreadObject } from '../threads/objects.js';
import type { BlobReader, BlobWriter } from './embedded/blobs.js';

export type { BlobReader, BlobWriter, PendingContent } from './embedded/blobs.js';

export interface Records {
  assistants: AssistantRecord;
  assistant_files: AssistantFileLink;
  files: OpenAIFile;
  threads: ThreadObject;
  messages: MessageObject;
  runs: RunObject;
  run_steps: RunStepObject;
  run_progress: RunProgress;
}

export type CollectionName = keyof Records;

/** The fields each collection is found by besides its id (indexed columns in PostgreSQL). */
export const KEY_FIELDS = {
  assistants: [],
  assistant_files: ['assistant_id', 'file_id'],
  files: ['purpose'],
  threads: [],
  messages: ['thread_id', 'run_id'],
  runs: ['thread_id'],
  run_steps: ['run_id'],
  run_progress: [],
} as const satisfies { [C in CollectionName]: ReadonlyArray<keyof Records[C] & string> };

export type KeyField<C extends CollectionName> = (typeof KEY_FIELDS)[C][number] & keyof Records[C];

/** Equality on key fields, all of them together; `{}` matches every record. */
export type Where<C extends CollectionName> = { [K in KeyField<C>]?: Records[C][K] };

export interface StoreReader {
  get<C extends CollectionName>(collection: C, id: string): Promise<Records[C] | undefined>;
  /** The records matching `where`, oldest first. */
  list<C extends CollectionName>(collection: C, where?: Where<C>): Promise<Records[C][]>;
  /** The records whose `field` is one of `values`, oldest first. */
  listIn<C extends CollectionName>(collection: C, field: KeyField<C> | 'id', values: readonly string[]): Promise<Records[C][]>;
  /** One page of the records matching `where`, by the cursor rules of pagination.ts (same 400s). */
  page<C extends CollectionName>(collection: C, where: Where<C>, query: PageQuery): Promise<ListPage<Records[C]>>;
}

export interface StoreWriter extends StoreReader {
  /** Adds a record, the newest of its collection. Throws if its id exists; ActiveRunExists for a second active run on a thread. */
  insert<C extends CollectionName>(collection: C, record: Records[C]): Promise<Records[C]>;
  /** Replaces the record `id` with `change(current)` (it keeps its place); undefined when there is none. */
  update<C extends CollectionName>(collection: C, id: string, change: (current: Records[C]) => Records[C]): Promise<Records[C] | undefined>;
  delete<C extends CollectionName>(collection: C, id: string): Promise<boolean>;
  deleteWhere<C extends CollectionName>(collection: C, where: Where<C>): Promise<number>;
  /**
   * The thread, held against every other writer of it until this transaction ends: the
   * messages and runs of a thread are created one transaction at a time, so their order
   * is the order of commit.
   */
  lockThread(id: string): Promise<ThreadObject | undefined>;
  /**
   * Appends an event to the run's stream, with the next sequence number of the run (returned);
   * followers get it once the transaction is durable.
   */
  emit(runId: string, event: AssistantStreamEvent): Promise<number>;
  /**
   * The run's lease: whether this replica still holds the run under `token`. Holding it
   * also locks the run's progress until the transaction ends, so two replicas never
   * advance one run at once.
   */
  holdsRun(runId: string, token: string): Promise<boolean>;
  /**
   * Takes the run for this replica (a new lease, whoever held it), due in `dueInMs`: the
   * replica that creates a run, or that receives its cancel or tool outputs, carries it on.
   */
  takeRun(runId: string, dueInMs: number): Promise<RunClaim>;
  /** When the run's next step is due (in ms from now, by the store's clock), for whoever claims it after this replica. */
  setRunDue(runId: string, dueInMs: number): Promise<void>;
}

/** A run held by this replica, until `token` no longer matches. */
export interface RunClaim {
  runId: string;
  token: string;
}

/** The run queue's leases (see threads/engine.ts for how runs move through it). */
export interface RunLeases {
  /** Takes up to `limit` runs that are due and that no live replica holds. */
  claim(limit: number): Promise<RunClaim[]>;
  /** Extends the leases of `claims`; returns the run ids whose lease was lost (taken over, or the run ended). */
  renew(claims: readonly RunClaim[]): Promise<string[]>;
  /** Gives runs back, each due in its `dueInMs` (from now) for whoever claims it next. */
  release(claims: ReadonlyArray<RunClaim & { dueInMs: number }>): Promise<void>;
}

/** An event of a run's stream with its sequence number in the run (1, 2, 3...). */
export interface SequencedEvent {
  seq: number;
  event: AssistantStreamEvent;
}

export interface RunEventFeed {
  /**
   * Calls `listener` with each event of the run after `afterSeq`, in order, once durable,
   * and `interrupted` (once) when the run's stream can go no further (the server reset,
   * the store failed). Returns the function that stops following.
   */
  follow(runId: string, afterSeq: number, listener: FeedListener): () => void;
}

export interface FeedListener {
  event(event: SequencedEvent): void;
  interrupted(message: string): void;
}

/** An upload to keep: its content, written so far, and the text extracted from it for retrieval. */
export interface FileToKeep {
  record: OpenAIFile;
  content: BlobWriter;
  /** The retrieval text record (JSON) and its number of characters of text; null when not indexed. */
  text: { json: string; chars: number } | null;
  /** The store's `resets` when the upload began: a reset since then keeps nothing (ResetDuringUpload). */
  resetsSeen: number;
  /** At most this many characters of text in all files (checked by the store when the index is shared). */
  maxTextChars: number;
}

/** File contents: uploads are held in memory while small, else go to disk as they arrive; downloads stream at the reader's pace. */
export interface FileContents {
  /** Starts an upload's content (nothing is kept until ServerStore.keepFile). */
  create(fileId: string): BlobWriter;
  /** The content, or the retrieval text (`text`), of a kept File; undefined when there is none. */
  open(fileId: string, part?: 'content' | 'text'): Promise<BlobReader | undefined>;
}

export interface ServerStore {
  readonly kind: 'embedded' | 'postgres';
  /** Whether other processes share this data (their retrieval indexes, their runs). */
  readonly shared: boolean;
  /** Reads outside a transaction (each call sees committed data). */
  readonly read: StoreReader;
  /** Runs `work` in one transaction: all of it is kept, or (when it throws) none of it. */
  transaction<T>(work: (tx: StoreWriter) => Promise<T>): Promise<T>;
  readonly files: FileContents;
  /** The embedded store's uploads folder (its retrieval index is built from it at start); undefined when shared. */
  readonly disk: UploadsOnDisk | undefined;
  readonly leases: RunLeases;
  readonly events: RunEventFeed;
  /** Keeps an upload (content, text, record) all at once; throws ResetDuringUpload, TextIndexFull. */
  keepFile(file: FileToKeep): Promise<OpenAIFile>;
  /** Deletes a File with its links, content and text. */
  deleteFile(fileId: string): Promise<boolean>;
  /** How many resets so far. */
  resets(): Promise<number>;
  /** Deletes every record and file, and interrupts every stream (here and on other replicas). */
  reset(): Promise<void>;
  /** Called after any reset (on another replica too, with a shared store): drop caches and timers. */
  onReset(listener: () => void | Promise<void>): void;
  /** Resolves once every change made so far is durable; rejects (and the changes are undone) when it cannot be. */
  flush(): Promise<void>;
  /** A mark to pass to rolledBackSince, taken before a request changes or reads anything. */
  readonly generation: number;
  /** The error of a rollback since `generation` (embedded journal only; the database rolls back by itself). */
  rolledBackSince(generation: number): Error | undefined;
  /** Called after changes were undone because the disk refused them (embedded journal only). */
  onRollback(listener: () => void): void;
  /** Checks that the store answers (readiness); throws when it does not. */
  check(): Promise<void>;
  /** What /_admin/stats tells about the store. */
  stats(): StoreStats;
  /** How many of each object the store holds: now (embedded), or as of the last countObjects() (shared). */
  objectCounts(): ObjectCounts;
  /** Counts the objects again (a query, with PostgreSQL); objectCounts() reports them from then on. */
  countObjects(): Promise<ObjectCounts>;
  close(): Promise<void>;
}

export interface StoreStats {
  kind: 'embedded' | 'postgres';
  /** Transactions committed, and those retried after a serialization failure or a deadlock. */
  transactions: number;
  retries: number;
  /** Queries that failed because the database could not be reached. */
  unavailable: number;
}

/** A second active run on a thread (the database's own rule as well as the routes'). */
export class ActiveRunExists extends Error {
  override readonly name = 'ActiveRunExists';
  constructor(readonly threadId: string) {
    super(`thread ${threadId} already has an active run`);
  }
}

/** The server was reset while the upload's body arrived: nothing was kept. */
export class ResetDuringUpload extends Error {
  override readonly name = 'ResetDuringUpload';
}

/** The retrieval index (all files' text together) has no room for the file. */
export class TextIndexFull extends Error {
  override readonly name = 'TextIndexFull';
  constructor(
    readonly chars: number,
    readonly used: number,
    readonly max: number,
  ) {
    super(`the retrieval index is full (${used} of ${max} characters used, ${chars} more asked for)`);
  }
}

/** The store cannot be reached now (the database is down or restarting): a 503, safe to retry. */
export class StoreUnavailable extends Error {
  override readonly name = 'StoreUnavailable';
}

/** How a stream ends when the server is reset under it. */
export const RESET_MESSAGE = 'The server was reset while this run was streaming.';
