/**
 * The embedded store's data (see embedded-store.ts, which puts the ServerStore interface on
 * it): named collections of JSON records, in memory, optionally persisted.
 *
 *   const threads = journal.collection<ThreadObject>('threads');
 *   await journal.exclusive(async () => {
 *     threads.insert({ id, object: 'thread', created_at, metadata });   // journaled
 *     threads.update(id, (t) => ({ ...t, metadata }));                  // replace, same position
 *   }, true);
 *   threads.all();   // oldest first: insertion order, which is creation order
 *
 * Records are frozen when stored: change them only through insert/put/update/delete, so
 * every change reaches the journal. Transactions run one at a time (`exclusive`): their
 * changes reach the journal whole, or are undone whole. The server awaits `flush()` before
 * it answers a request, so an acknowledged change is on disk; changes made outside a
 * request (the run engine's) are flushed on the next tick automatically.
 *
 * Persistence (with `dataFile`): an append-only JSON-lines journal, one fdatasync per
 * flush (concurrent requests share it); a failed append is cut off again and every change
 * not yet durable is undone in memory (PersistenceError). On open the journal is replayed
 * (journal.ts: a torn last line is dropped; corrupt lines refused, or skipped with
 * `repair`, after a backup) and compacted: the live records are written
 * to a temp file, fsynced and renamed over the journal. It is compacted again once the
 * bytes appended since exceed both 16 MiB and the last snapshot's size, and on close.
 * File contents live beside it in `<dataFile>.blobs/`, one file per blob (see BlobStore);
 * without a data file, in a temporary folder removed on close.
 * `<dataFile>.lock` holds the owner's pid: a second server on the same file is refused,
 * and a lock left by a dead process (kill -9) is taken over.
 */
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BlobStore } from './blobs.js';
import { acquireLock, releaseLock } from './data-lock.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, syncDirectory } from './durable-fs.js';
import { backUpJournal } from './journal-backup.js';
import { JOURNAL_HEADER, readJournal, type JournalEntry, type StoredRecord } from './journal.js';

export type { BlobReader, BlobStore, BlobWriter } from './blobs.js';
export type { StoredRecord } from './journal.js';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** A change to one collection as the journal records it, with how to take it back. */
interface Change {
  entry: JournalEntry;
  undo(): void;
}

export class Collection<T extends StoredRecord> {
  private items = new Map<string, T>();
  /** Each record's insertion number: an undone delete goes back to its place. */
  private readonly order = new Map<string, number>();
  private nextOrder = 0;
  /**
   * Ids by value, per field records are looked up by (`lookup`): built on the first lookup
   * of a field, then kept with every change, so finding an assistant's file links costs
   * what it finds, not the whole collection (at 10,000 assistants, 20,000 links).
   */
  private readonly indexes = new Map<string, Map<unknown, Set<string>>>();

  /** @internal Created by Store.collection(). */
  constructor(
    readonly name: string,
    private readonly record: (change: Change) => void,
  ) {}

  get size(): number {
    return this.items.size;
  }

  get(id: string): T | undefined {
    return this.items.get(id);
  }

  has(id: string): boolean {
    return this.items.has(id);
  }

  /** Every record, oldest first. */
  all(): T[] {
    return [...this.items.values()];
  }

  /** Records whose `field` (`id` or any other) holds one of `values`, oldest first. */
  lookup(field: string, values: readonly unknown[]): T[] {
    const ids = new Set<string>();
    if (field === 'id') {
      for (const value of values) if (typeof value === 'string' && this.items.has(value)) ids.add(value);
    } else {
      const index = this.index(field);
      for (const value of values) for (const id of index.get(value) ?? []) ids.add(id);
    }
    const found = [...ids].map((id) => this.items.get(id) as T);
    return found.length > 1 ? found.sort((a, b) => (this.order.get(a.id) ?? 0) - (this.order.get(b.id) ?? 0)) : found;
  }

  /** Adds a new record (at the end: the newest). Throws if the id exists. */
  insert(item: T): T {
    if (this.items.has(item.id)) throw new Error(`${this.name}: duplicate id ${item.id}`);
    return this.put(item);
  }

  /** Inserts or replaces; a replaced record keeps its position. */
  put(item: T): T {
    const frozen = deepFreeze(structuredClone(item));
    const previous = this.items.get(frozen.id);
    this.load(frozen);
    this.record({
      entry: { op: 'put', c: this.name, v: frozen },
      undo: () => (previous === undefined ? this.unload(frozen.id) : this.set(previous)),
    });
    return frozen;
  }

  /** Replaces the record `id` with `change(current)`; undefined if there is none. */
  update(id: string, change: (current: T) => T): T | undefined {
    const current = this.items.get(id);
    if (current === undefined) return undefined;
    const next = change(current);
    if (next.id !== id) throw new Error(`${this.name}: update may not change the id of ${id}`);
    return this.put(next);
  }

  delete(id: string): boolean {
    const previous = this.items.get(id);
    const position = this.order.get(id);
    if (previous === undefined || position === undefined) return false;
    this.unload(id);
    this.record({ entry: { op: 'del', c: this.name, id }, undo: () => this.restore(previous, position) });
    return true;
  }

  /** @internal Replay and reset: change the map without journaling. */
  load(item: T): void {
    if (!this.order.has(item.id)) this.order.set(item.id, this.nextOrder++);
    this.set(deepFreeze(item));
  }
  /** @internal */
  unload(id: string): void {
    const previous = this.items.get(id);
    if (previous !== undefined) this.unindex(previous);
    this.items.delete(id);
    this.order.delete(id);
  }
  /** @internal */
  clear(): void {
    this.items.clear();
    this.order.clear();
    this.indexes.clear();
  }

  /** Puts a deleted record back where it was (rare: only when a write is rolled back). */
  private restore(item: T, position: number): void {
    this.order.set(item.id, position);
    this.set(item);
    const sorted = [...this.items].sort(([a], [b]) => (this.order.get(a) ?? 0) - (this.order.get(b) ?? 0));
    this.items = new Map(sorted);
  }

  /** Stores `item` over the record of its id (if any), keeping the indexes. */
  private set(item: T): void {
    const previous = this.items.get(item.id);
    if (previous !== undefined) this.unindex(previous);
    this.items.set(item.id, item);
    for (const [field, index] of this.indexes) addTo(index, fieldOf(item, field), item.id);
  }

  private unindex(item: T): void {
    for (const [field, index] of this.indexes) {
      const value = fieldOf(item, field);
      const ids = index.get(value);
      ids?.delete(item.id);
      if (ids?.size === 0) index.delete(value);
    }
  }

  private index(field: string): Map<unknown, Set<string>> {
    let index = this.indexes.get(field);
    if (index === undefined) {
      index = new Map();
      for (const item of this.items.values()) addTo(index, fieldOf(item, field), item.id);
      this.indexes.set(field, index);
    }
    return index;
  }
}

function fieldOf(item: StoredRecord, field: string): unknown {
  return (item as unknown as Record<string, unknown>)[field];
}

function addTo(index: Map<unknown, Set<string>>, value: unknown, id: string): void {
  const ids = index.get(value);
  if (ids === undefined) index.set(value, new Set([id]));
  else ids.add(id);
}

export interface StoreOptions {
  /** Persist to this JSON-lines journal; in memory only when absent. */
  dataFile?: string;
  /** What uses the data, written in its lock for whoever finds it in use (e.g. "assistants serve"). */
  holder?: string;
  /**
   * Compact once this many bytes were appended since the last compaction and they also
   * exceed the size of that snapshot (so compaction costs O(1) per write). Default 16 MiB.
   */
  compactAfterBytes?: number;
  /** Where a failure of a background write, and a repair, is reported (default: stderr). */
  log?: (line: string) => void;
  /**
   * Start even if the journal has corrupt lines: they are dropped, after the journal and
   * the uploads are backed up beside it (see journal-backup.ts).
   */
  repair?: boolean;
}

/**
 * A write the journal refused (disk full, I/O error): every change not yet durable was
 * undone in memory, so what clients can see is what is on disk.
 */
export class PersistenceError extends Error {
  override readonly name = 'PersistenceError';

  constructor(readonly reason: unknown) {
    super(`could not save changes: ${reason instanceof Error ? reason.message : String(reason)}`);
  }
}

export class JournalStore {
  private readonly collections = new Map<string, Collection<StoredRecord>>();
  /** Changes not yet handed to the journal, oldest first. */
  private pending: Change[] = [];
  private chain: Promise<void> = Promise.resolve();
  private flushScheduled = false;
  private appendedBytes = 0;
  private snapshotBytes = 0;
  /** An append failed and could not be cut off again; the next flush compacts instead of appending. */
  private journalSuspect = false;
  private handle: FileHandle | undefined;
  private closed = false;
  /** Bumped by every rollback and reset: a write that fails after a reset has nothing of its own to undo. */
  private epoch = 0;
  private lastRollback: { epoch: number; error: PersistenceError } | undefined;
  private readonly rollbackListeners: Array<() => void> = [];
  private resetCount = 0;
  /** Resets, and blob commits with their records, run one at a time (see withoutReset). */
  private resetGate: Promise<void> = Promise.resolve();
  /** The changes of the transaction under way (see exclusive), or null. */
  private open: Change[] | null = null;
  /** Transactions and reads run one at a time, in the order they were asked for. */
  private gate: Promise<void> = Promise.resolve();
  /** Exclusive work asked for and not yet settled. */
  private queued = 0;

  private constructor(
    private readonly options: StoreOptions,
    readonly blobs: BlobStore,
  ) {}

  static async open(options: StoreOptions = {}): Promise<JournalStore> {
    const dataFile = options.dataFile;
    if (dataFile === undefined) return new JournalStore(options, new BlobStore());
    const blobs = new BlobStore(`${dataFile}.blobs`);
    const store = new JournalStore(options, blobs);
    await mkdir(dirname(dataFile), { recursive: true, mode: PRIVATE_DIR_MODE });
    await acquireLock(dataFile, options.holder ?? null);
    try {
      await store.replay(dataFile);
      await store.compact();
    } catch (error) {
      await store.handle?.close();
      await releaseLock(dataFile);
      throw error;
    }
    return store;
  }

  /** The collection `name`, created empty on first use. */
  collection<T extends StoredRecord>(name: string): Collection<T> {
    let collection = this.collections.get(name);
    if (!collection) {
      collection = new Collection<StoredRecord>(name, (change) => this.record(change));
      this.collections.set(name, collection);
    }
    // Records are JSON of the caller's shape: the store never writes other shapes.
    return collection as unknown as Collection<T>;
  }

  /**
   * Runs `work` alone: no other transaction or read runs until it settles. With `atomic`,
   * its changes reach the journal together when it resolves, or are all undone in memory
   * when it throws, so nobody ever sees half of it.
   */
  exclusive<T>(work: () => Promise<T>, atomic: boolean): Promise<T> {
    this.queued++;
    const run = this.gate.then(async () => {
      if (!atomic) return work();
      this.open = [];
      try {
        const result = await work();
        const changes = this.open;
        this.open = null;
        for (const change of changes) this.enqueue(change);
        return result;
      } catch (error) {
        const changes = this.open ?? [];
        this.open = null;
        for (let i = changes.length - 1; i >= 0; i--) changes[i]?.undo();
        throw error;
      }
    });
    this.gate = run.then(
      () => {
        this.queued--;
      },
      () => {
        this.queued--;
      },
    );
    return run;
  }

  /**
   * Runs a synchronous read: at once when no transaction is under way or waiting (a
   * synchronous read cannot see half of one), else after them.
   */
  snapshot<T>(read: () => T): Promise<T> {
    if (this.queued > 0) return this.exclusive(async () => read(), false);
    try {
      return Promise.resolve(read());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Removes blobs that `keep` does not claim (call once the owners are known). */
  async pruneBlobs(keep: (id: string) => boolean): Promise<void> {
    await this.blobs.prune(keep);
  }

  /**
   * Resolves once every change made so far is durable (a no-op in memory). Rejects with a
   * PersistenceError when the write failed; those changes are then undone.
   */
  flush(): Promise<void> {
    const run = this.chain.catch(() => undefined).then(() => this.writePending());
    this.chain = run;
    return run;
  }

  /** A mark to pass to `rolledBackSince`: take it before changing or reading anything. */
  get generation(): number {
    return this.epoch;
  }

  /**
   * The error of a rollback since `generation`, if one happened: what a request changed
   * or read since then may have been undone, so it must not be acknowledged.
   */
  rolledBackSince(generation: number): PersistenceError | undefined {
    return this.lastRollback !== undefined && this.lastRollback.epoch > generation ? this.lastRollback.error : undefined;
  }

  /** Called after a failed write was undone in memory (timers may need to be set again). */
  onRollback(listener: () => void): void {
    this.rollbackListeners.push(listener);
  }

  /** How many resets so far: an upload that saw a reset while its body arrived is not kept. */
  get resets(): number {
    return this.resetCount;
  }

  /**
   * Runs `fn` while no reset runs: a blob committed and recorded in `fn` cannot be half
   * wiped by one (its file gone, its record kept).
   */
  withoutReset<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.resetGate.then(fn);
    this.resetGate = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Deletes every record and blob. */
  reset(): Promise<void> {
    return this.withoutReset(async () => {
      await this.exclusive(async () => {
        for (const collection of this.collections.values()) collection.clear();
        this.pending = [];
        this.epoch++;
        this.resetCount++;
      }, false);
      await this.blobs.clear();
      const run = this.chain.catch(() => undefined).then(() => this.compact());
      this.chain = run;
      await run;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush().catch(() => undefined);
      await this.compact();
    } finally {
      this.closed = true;
      await this.handle?.close();
      this.handle = undefined;
      await this.blobs.close();
      if (this.options.dataFile !== undefined) await releaseLock(this.options.dataFile);
    }
  }

  private record(change: Change): void {
    if (this.closed) throw new Error('store is closed');
    if (this.open !== null) {
      this.open.push(change);
      return;
    }
    this.enqueue(change);
  }

  /** Hands a change to the journal (a no-op in memory): written at the next flush. */
  private enqueue(change: Change): void {
    if (this.options.dataFile === undefined) return;
    this.pending.push(change);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush().catch((error: unknown) => {
          this.log(`assistants serve: ${error instanceof Error ? error.message : String(error)}`);
        });
      });
    }
  }

  private async writePending(): Promise<void> {
    if (this.pending.length === 0 || !this.handle) return;
    const batch = this.pending;
    this.pending = [];
    const epoch = this.epoch;
    try {
      if (this.journalSuspect) {
        // A failed append may have left half a line mid-journal: rewrite it from memory.
        await this.compact();
        this.journalSuspect = false;
        return;
      }
      await this.append(batch.map((change) => `${JSON.stringify(change.entry)}\n`).join(''));
    } catch (error) {
      // Undone while no transaction is under way: none builds on a change being undone.
      throw await this.exclusive(async () => this.rollBack(batch, epoch, error), false);
    }
    if (this.appendedBytes > Math.max(this.options.compactAfterBytes ?? 16 * 1024 * 1024, this.snapshotBytes)) {
      await this.compact();
    }
  }

  /** Appends and syncs; on failure cuts the journal back to its last durable length. */
  private async append(data: string): Promise<void> {
    const handle = this.handle;
    if (!handle) return;
    const durableLength = this.snapshotBytes + this.appendedBytes;
    try {
      await handle.writeFile(data);
      await handle.datasync();
    } catch (error) {
      try {
        await handle.truncate(durableLength);
        await handle.datasync();
      } catch {
        this.journalSuspect = true;
      }
      throw error;
    }
    this.appendedBytes += Buffer.byteLength(data);
  }

  /**
   * Undoes `batch` and everything changed since (which may build on it), newest first, so
   * memory holds what the journal holds; returns the error to give whoever waits on them.
   */
  private rollBack(batch: Change[], epoch: number, reason: unknown): PersistenceError {
    const error = reason instanceof PersistenceError ? reason : new PersistenceError(reason);
    if (epoch !== this.epoch) return error;
    const undone = [...batch, ...this.pending];
    this.pending = [];
    for (let i = undone.length - 1; i >= 0; i--) undone[i]?.undo();
    this.epoch++;
    this.lastRollback = { epoch: this.epoch, error };
    for (const listener of this.rollbackListeners) listener();
    return error;
  }

  /** Loads the journal; with `repair`, backs it up and skips its corrupt lines. */
  private async replay(dataFile: string): Promise<void> {
    const load = (entry: JournalEntry): void => {
      if (entry.op === 'put') this.collection(entry.c).load(entry.v);
      else this.collection(entry.c).unload(entry.id);
    };
    const repair = this.options.repair === true;
    const skipped = await readJournal(dataFile, load, { repair });
    if (!repair || skipped === undefined) return;
    if (skipped.length === 0) return this.log(`assistants serve: ${dataFile} needs no repair`);
    const backup = await backUpJournal(dataFile, `${dataFile}.blobs`);
    const count = skipped.length === 1 ? '1 corrupt line' : `${skipped.length} corrupt lines`;
    this.log(
      `assistants serve: repaired ${dataFile}: dropped ${count} (${skipped.join(', ')}); the original journal and uploads are kept in ${backup}`,
    );
  }

  private log(line: string): void {
    if (this.options.log) this.options.log(line);
    else process.stderr.write(`${line}\n`);
  }

  /** Rewrites the journal as a snapshot of the live records: temp file, fsync, rename. */
  private async compact(): Promise<void> {
    const dataFile = this.options.dataFile;
    if (dataFile === undefined || this.closed) return;
    const temp = `${dataFile}.tmp`;
    const out = await open(temp, 'w', PRIVATE_FILE_MODE);
    let written = 0;
    try {
      // A temp file left by a crash keeps its old mode when reopened.
      await out.chmod(PRIVATE_FILE_MODE);
      let batch = `${JSON.stringify(JOURNAL_HEADER)}\n`;
      // Written in batches so a large store never becomes one giant string.
      for (const collection of this.collections.values()) {
        for (const item of collection.all()) {
          batch += `${JSON.stringify({ op: 'put', c: collection.name, v: item })}\n`;
          if (batch.length >= 1 << 20) {
            await out.writeFile(batch);
            written += Buffer.byteLength(batch);
            batch = '';
          }
        }
      }
      await out.writeFile(batch);
      written += Buffer.byteLength(batch);
      await out.sync();
      await out.close();
      await rename(temp, dataFile);
    } catch (error) {
      await out.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw error;
    }
    await syncDirectory(dirname(dataFile));
    await this.handle?.close();
    this.handle = await open(dataFile, 'a');
    this.snapshotBytes = written;
    this.appendedBytes = 0;
  }
}
