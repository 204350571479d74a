/**
 * The embedded store: the ServerStore interface on the journal store (journal-store.ts) and
 * its blob folder, for one process. Transactions run one at a time, so each sees and
 * leaves a consistent whole; the run leases are this process's alone (a restart frees
 * them all).
 */
import { randomUUID } from 'node:crypto';
import { pageOf, type ListPage, type PageQuery } from '../../pagination.js';
import type { UploadsOnDisk } from '../../retrieval/retrieval.js';
import type { ObjectCounts } from '../../stats.js';
import { isActiveRun } from '../../threads/objects.js';
import type { AssistantStreamEvent } from '../../threads/events.js';
import {
  ActiveRunExists,
  RESET_MESSAGE,
  ResetDuringUpload,
  type CollectionName,
  type FileContents,
  type FileToKeep,
  type KeyField,
  type Records,
  type RunClaim,
  type RunLeases,
  type SequencedEvent,
  type ServerStore,
  type StoreReader,
  type StoreStats,
  type StoreWriter,
  type Where,
} from '../store.js';
import type { BlobReader, BlobWriter } from './blobs.js';
import { JournalStore, type Collection, type StoreOptions } from './journal-store.js';
import { MemoryFeed } from './memory-feed.js';

function matches<C extends CollectionName>(record: Records[C], where: Where<C> | undefined): boolean {
  if (where === undefined) return true;
  for (const [field, value] of Object.entries(where)) {
    if (value !== undefined && (record as unknown as Record<string, unknown>)[field] !== value) return false;
  }
  return true;
}

export class EmbeddedStore implements ServerStore {
  readonly kind = 'embedded';
  readonly shared = false;
  readonly events = new MemoryFeed();
  readonly read: StoreReader;
  readonly files: FileContents;
  readonly leases: RunLeases;
  /** The lease of each run this process executes (none survives a restart). */
  readonly #leases = new Map<string, string>();
  /** The last event number of each run with events. */
  readonly #eventSeq = new Map<string, number>();
  #transactions = 0;
  /** Events of committed transactions waiting for the flush that makes them durable. */
  #unpublished: Array<Map<string, SequencedEvent[]>> = [];
  readonly #resetListeners: Array<() => void | Promise<void>> = [];

  private constructor(private readonly journal: JournalStore) {
    // Outside a transaction, a read is one synchronous look, after any transaction under way: nobody sees half of one.
    this.read = {
      get: (collection, id) => journal.snapshot(() => this.#collection(collection).get(id)),
      list: (collection, where) => journal.snapshot(() => this.#list(collection, where)),
      listIn: (collection, field, values) => journal.snapshot(() => this.#listIn(collection, field, values)),
      page: (collection, where, query) => journal.snapshot(() => pageOf(this.#list(collection, where), query)),
    };
    const blobs = journal.blobs;
    this.files = {
      create: (fileId: string): BlobWriter => blobs.create(fileId),
      open: (fileId: string, part: 'content' | 'text' = 'content'): Promise<BlobReader | undefined> => blobs.open(fileId, part),
    };
    this.leases = {
      claim: async (limit) => {
        const progress = this.#collection('run_progress').all();
        const claims: RunClaim[] = [];
        for (const { id } of progress) {
          if (claims.length >= limit) break;
          if (this.#leases.has(id)) continue;
          const token = randomUUID();
          this.#leases.set(id, token);
          claims.push({ runId: id, token });
        }
        return claims;
      },
      renew: async (claims) =>
        claims.filter(({ runId, token }) => this.#leases.get(runId) !== token || !this.#collection('run_progress').has(runId)).map((claim) => claim.runId),
      release: async (claims) => {
        for (const { runId, token } of claims) if (this.#leases.get(runId) === token) this.#leases.delete(runId);
      },
    };
  }

  /** Opens the data (and removes uploads no File names: a crash between an upload and its record). */
  static async open(options: StoreOptions): Promise<EmbeddedStore> {
    const journal = await JournalStore.open(options);
    try {
      const files = journal.collection<Records['files']>('files');
      await journal.pruneBlobs((id) => files.has(id));
    } catch (error) {
      await journal.close();
      throw error;
    }
    return new EmbeddedStore(journal);
  }

  /** The uploads' folder, for indexing them at start. */
  readonly disk: UploadsOnDisk = {
    contentPath: (fileId) => this.journal.blobs.contentPath(fileId),
    saveText: async (fileId, json) => {
      const writer = this.journal.blobs.create(fileId, 'text');
      try {
        await writer.write(Buffer.from(json));
        await writer.commit();
      } catch (error) {
        await writer.abort();
        throw error;
      }
    },
  };

  #collection<C extends CollectionName>(name: C): Collection<Records[C]> {
    return this.journal.collection<Records[C]>(name);
  }

  /** Through the index of the first key field `where` names (KEY_FIELDS), else the whole collection. */
  #list<C extends CollectionName>(collection: C, where: Where<C> | undefined): Array<Records[C]> {
    const keyed = Object.entries(where ?? {}).find(([, value]) => value !== undefined);
    const candidates = keyed === undefined ? this.#collection(collection).all() : this.#collection(collection).lookup(keyed[0], [keyed[1]]);
    return candidates.filter((record) => matches(record, where));
  }

  #listIn<C extends CollectionName>(collection: C, field: KeyField<C> | 'id', values: readonly string[]): Array<Records[C]> {
    return this.#collection(collection).lookup(field, values);
  }

  /** Reads inside a transaction (which already runs alone). */
  #reader(): StoreReader {
    return {
      get: async (collection, id) => this.#collection(collection).get(id),
      list: async (collection, where) => this.#list(collection, where),
      listIn: async (collection, field, values) => this.#listIn(collection, field, values),
      page: async <C extends CollectionName>(collection: C, where: Where<C>, query: PageQuery): Promise<ListPage<Records[C]>> => pageOf(this.#list(collection, where), query),
    };
  }

  transaction<T>(work: (tx: StoreWriter) => Promise<T>): Promise<T> {
    const emitted = new Map<string, SequencedEvent[]>();
    /** Leases taken in this transaction: kept only if it commits. */
    const taken = new Map<string, string>();
    /** Runs whose progress this transaction deleted (they ended): their lease and numbering go. */
    const ended = new Set<string>();
    const reader = this.#reader();
    const tx: StoreWriter = {
      ...reader,
      insert: async (collection, record) => {
        if (collection === 'runs') this.#checkOneActiveRun(record as Records['runs']);
        return this.#collection(collection).insert(record);
      },
      update: async (collection, id, change) => {
        const current = this.#collection(collection).get(id);
        if (current === undefined) return undefined;
        const next = change(current);
        if (collection === 'runs') this.#checkOneActiveRun(next as Records['runs']);
        return this.#collection(collection).update(id, () => next);
      },
      delete: async (collection, id) => {
        if (collection === 'run_progress') ended.add(id);
        return this.#collection(collection).delete(id);
      },
      deleteWhere: async (collection, where) => {
        let count = 0;
        for (const record of this.#list(collection, where)) if (this.#collection(collection).delete(record.id)) count++;
        return count;
      },
      lockThread: async (id) => this.#collection('threads').get(id),
      emit: async (runId: string, event: AssistantStreamEvent) => {
        const list = emitted.get(runId) ?? [];
        emitted.set(runId, list);
        const seq = (list[list.length - 1]?.seq ?? this.#eventSeq.get(runId) ?? 0) + 1;
        list.push({ seq, event });
        return seq;
      },
      holdsRun: async (runId, token) => (taken.get(runId) ?? this.#leases.get(runId)) === token && this.#collection('run_progress').has(runId),
      takeRun: async (runId) => {
        const token = randomUUID();
        taken.set(runId, token);
        return { runId, token };
      },
      setRunDue: async () => undefined,
    };
    return this.journal
      .exclusive(async () => {
        const result = await work(tx);
        for (const [runId, events] of emitted) {
          const last = events[events.length - 1];
          if (last !== undefined) this.#eventSeq.set(runId, last.seq);
        }
        for (const [runId, token] of taken) this.#leases.set(runId, token);
        for (const runId of ended) {
          this.#leases.delete(runId);
          this.#eventSeq.delete(runId);
        }
        this.#transactions++;
        return result;
      }, true)
      .then((result) => {
        if (emitted.size > 0) this.#publishWhenDurable(emitted);
        return result;
      });
  }

  /** The database's rule in the PostgreSQL store: no thread has two active runs. */
  #checkOneActiveRun(run: Records['runs']): void {
    if (!isActiveRun(run)) return;
    const others = this.#collection('runs').lookup('thread_id', [run.thread_id]).filter((other) => other.id !== run.id && isActiveRun(other));
    if (others.length > 0) throw new ActiveRunExists(run.thread_id);
  }

  /**
   * Followers get events only once the changes they report are on disk: the events of every
   * transaction committed in one turn of the event loop wait for one flush together.
   */
  #publishWhenDurable(emitted: Map<string, SequencedEvent[]>): void {
    this.#unpublished.push(emitted);
    if (this.#unpublished.length > 1) return;
    setImmediate(() => {
      const batch = this.#unpublished;
      this.#unpublished = [];
      this.journal.flush().then(
        () => {
          for (const events of batch) for (const [runId, list] of events) this.events.publish(runId, list);
        },
        () => {
          for (const events of batch) this.events.interrupt([...events.keys()], "The server could not save this run's progress; follow the run by polling it.");
        },
      );
    });
  }

  async keepFile(file: FileToKeep): Promise<Records['files']> {
    const id = file.record.id;
    const blobs = this.journal.blobs;
    const record = await this.journal.withoutReset(async () => {
      // A reset while the body arrived wiped what this upload would join: keep nothing.
      if (this.journal.resets !== file.resetsSeen) throw new ResetDuringUpload('reset during upload');
      try {
        const bytes = await file.content.commit();
        if (file.text !== null) await this.disk.saveText(id, file.text.json);
        return await this.transaction((tx) => tx.insert('files', { ...file.record, bytes }));
      } catch (error) {
        await blobs.remove(id);
        throw error;
      }
    });
    try {
      await this.journal.flush();
    } catch (error) {
      // The record was undone: its content and its text go too.
      await blobs.remove(id);
      throw error;
    }
    return record;
  }

  async deleteFile(fileId: string): Promise<boolean> {
    const deleted = await this.transaction(async (tx) => {
      if ((await tx.get('files', fileId)) === undefined) return false;
      await tx.deleteWhere('assistant_files', { file_id: fileId });
      return tx.delete('files', fileId);
    });
    if (!deleted) return false;
    // The record goes first: a crash in between leaves an orphan blob, pruned on start.
    await this.journal.flush();
    await this.journal.blobs.remove(fileId);
    return true;
  }

  async resets(): Promise<number> {
    return this.journal.resets;
  }

  async reset(): Promise<void> {
    await this.journal.reset();
    this.#leases.clear();
    this.#eventSeq.clear();
    this.events.interrupt(null, RESET_MESSAGE);
    this.events.clear();
    for (const listener of this.#resetListeners) await listener();
  }

  onReset(listener: () => void | Promise<void>): void {
    this.#resetListeners.push(listener);
  }

  flush(): Promise<void> {
    return this.journal.flush();
  }

  get generation(): number {
    return this.journal.generation;
  }

  rolledBackSince(generation: number): Error | undefined {
    return this.journal.rolledBackSince(generation);
  }

  onRollback(listener: () => void): void {
    this.journal.onRollback(listener);
  }

  async check(): Promise<void> {
    // In memory, or a journal this process holds: it answers while the process does.
  }

  stats(): StoreStats {
    return { kind: 'embedded', transactions: this.#transactions, retries: 0, unavailable: 0 };
  }

  objectCounts(): ObjectCounts {
    return {
      assistants: this.#collection('assistants').size,
      files: this.#collection('files').size,
      threads: this.#collection('threads').size,
      messages: this.#collection('messages').size,
      runs: this.#collection('runs').size,
    };
  }

  async countObjects(): Promise<ObjectCounts> {
    return this.objectCounts();
  }

  async close(): Promise<void> {
    this.events.clear();
    await this.journal.close();
  }
}
