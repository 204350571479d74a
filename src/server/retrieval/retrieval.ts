/**
 * Retrieval over the Files attached to assistants and messages. An upload with purpose
 * `assistants` whose name has an indexed extension (file-kinds.ts) has its text extracted
 * and cut into passages when it is uploaded; the text and passages are kept with its
 * content (its `text` part, so a restart does not read PDFs again) and in the search index.
 * A run's retrieval step searches the index (see docs/retrieval.md).
 *
 *   const prepared = await retrieval.prepare(upload);   // throws UnindexableFileError
 *   await retrieval.admit(prepared);                    // indexed, or UnindexableFileError when full
 *   await store.keepFile({ ..., text: { json: retrieval.textRecord(prepared), ... } });
 *   const ids = await retrieval.searchable(fileIds);
 *   retrieval.search('refund policy', ids, limits);
 *
 * With the embedded store the index holds every indexed File, loaded at start. With a
 * shared store (PostgreSQL, several replicas) each replica's index is a cache of the
 * database: a File another replica uploaded is loaded from its text when a run first
 * searches it, one deleted elsewhere is dropped, and the bound on all files' text is
 * the database's (the store checks it when it keeps an upload).
 */
import type { FileContents, PendingContent, StoreReader } from '../store/store.js';
import { chunkText, type Chunk } from './chunk-text.js';
import { extractText, UnindexableFileError, type ExtractionLimits } from './extract-text.js';
import { retrievalKind } from './file-kinds.js';
import { RetrievalIndex, type IndexedFile, type Passage, type SearchLimits } from './retrieval-index.js';

export { UnindexableFileError } from './extract-text.js';
export type { Passage } from './retrieval-index.js';

export interface RetrievalOptions extends ExtractionLimits {
  /** Most characters of text in the index, all files together. */
  maxIndexChars: number;
}

/** An upload as far as retrieval cares: its bytes (not yet committed), its name and purpose. */
export interface UploadToIndex {
  id: string;
  filename: string;
  purpose: string;
  content: PendingContent;
  bytes: number;
}

/** A File as the server stores it, for indexing the files an older version uploaded. */
export interface StoredFile {
  id: string;
  filename: string;
  purpose: string;
  bytes: number;
}

/** What `<id>.text` holds. */
interface TextRecord {
  format: 'assistants-serve-text';
  version: 1;
  filename: string;
  text: string;
  /** [start, end, heading] of each passage. */
  chunks: Array<[number, number, string]>;
}

function shouldIndex(file: { filename: string; purpose: string }): boolean {
  return file.purpose === 'assistants' && retrievalKind(file.filename) !== null;
}

/** The embedded store's uploads, for indexing at start. */
export interface UploadsOnDisk {
  /** Where a File's content is, or undefined when it has none. */
  contentPath(fileId: string): Promise<string | undefined>;
  /** Keeps a File's text record beside its content. */
  saveText(fileId: string, json: string): Promise<void>;
}

/** The message of a refusal for want of room in the index. */
export function indexFullMessage(filename: string, chars: number, used: number, max: number): string {
  return `The server's retrieval index is full: '${filename}' has ${chars.toLocaleString('en-US')} characters of text, and ${(max - used).toLocaleString('en-US')} of the ${max.toLocaleString('en-US')} the server indexes are left. Delete files, or start the server with a larger --retrieval-index-chars.`;
}

/** Where the index's files come from: the store's records and their kept text. */
export interface RetrievalSource {
  files: FileContents;
  reader: StoreReader;
  /** The index is a cache of data other processes change too. */
  shared: boolean;
}

export class Retrieval {
  readonly index: RetrievalIndex;

  constructor(
    private readonly source: RetrievalSource,
    private readonly options: RetrievalOptions,
    private readonly log: (line: string) => void,
  ) {
    this.index = new RetrievalIndex(options.maxIndexChars);
  }

  /** The upload's text and passages, or null when it is not indexed (by purpose or extension). */
  async prepare(upload: UploadToIndex): Promise<IndexedFile | null> {
    const kind = shouldIndex(upload) ? retrievalKind(upload.filename) : null;
    if (kind === null) return null;
    const text = await extractText(upload.content, upload.filename, kind, upload.bytes, this.options);
    const file = { fileId: upload.id, filename: upload.filename, text, chunks: chunkText(text) };
    // Refused now rather than after the upload is kept; admit() checks again.
    this.#checkRoom(file);
    return file;
  }

  /**
   * Indexes a prepared file, or refuses it when the index has no room (checked and taken at
   * once, so uploads side by side cannot together go past the bound).
   */
  async admit(file: IndexedFile): Promise<void> {
    // A shared index is a cache: the bound is the database's, checked when the file is kept.
    if (this.source.shared) {
      await this.#makeRoom(file.text.length);
      if (this.index.chars + file.text.length > this.index.maxChars) return;
    } else {
      this.#checkRoom(file);
    }
    return this.index.add(file);
  }

  #checkRoom(file: IndexedFile): void {
    if (this.index.chars + file.text.length <= this.index.maxChars) return;
    throw new UnindexableFileError(indexFullMessage(file.filename, file.text.length, this.index.chars, this.index.maxChars));
  }

  /** What a File's `text` part holds: its text and passages, for the next start or another replica. */
  textRecord(file: IndexedFile): string {
    const record: TextRecord = {
      format: 'assistants-serve-text',
      version: 1,
      filename: file.filename,
      text: file.text,
      chunks: file.chunks.map((chunk) => [chunk.start, chunk.end, chunk.heading]),
    };
    return JSON.stringify(record);
  }

  /**
   * Of `fileIds`, those a search can find: indexed Files that still exist. With a shared
   * store, Files indexed elsewhere are loaded now and Files deleted elsewhere dropped.
   */
  async searchable(fileIds: readonly string[], reader: StoreReader = this.source.reader): Promise<string[]> {
    if (!this.source.shared) return fileIds.filter((id) => this.index.has(id));
    const existing = await reader.listIn('files', 'id', fileIds);
    const present = new Set(existing.map((file) => file.id));
    for (const id of fileIds) if (!present.has(id)) this.index.remove(id);
    for (const file of existing.filter(shouldIndex)) {
      if (this.index.has(file.id)) continue;
      try {
        const kept = await this.#readText(file);
        if (kept !== null) await this.admit(kept);
      } catch (error) {
        this.log(`assistants serve: ${file.id} is not indexed for retrieval: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return fileIds.filter((id) => this.index.has(id));
  }

  /** Room for `chars` more in a shared index: files deleted elsewhere go first. */
  async #makeRoom(chars: number): Promise<void> {
    if (this.index.chars + chars <= this.index.maxChars) return;
    const indexed = this.index.fileIds();
    const present = new Set((await this.source.reader.listIn('files', 'id', indexed)).map((file) => file.id));
    for (const id of indexed) if (!present.has(id)) this.index.remove(id);
  }

  forget(fileId: string): void {
    this.index.remove(fileId);
  }

  clear(): void {
    this.index.clear();
  }

  /**
   * At start (embedded store): indexes the stored Files that are to be indexed, from their
   * kept text, or (uploaded by a version without retrieval, or the text lost) from their
   * content, keeping the text then. A file that cannot be indexed is logged and left out;
   * it stays a File.
   */
  async load(files: readonly StoredFile[], disk: UploadsOnDisk): Promise<void> {
    for (const file of files.filter(shouldIndex)) {
      try {
        const kept = await this.#readText(file);
        if (kept !== null) {
          await this.admit(kept);
          continue;
        }
        const path = await disk.contentPath(file.id);
        const prepared = path === undefined ? null : await this.prepare({ ...file, content: { held: () => undefined, pendingPath: async () => path } });
        if (prepared === null) continue;
        await this.admit(prepared);
        await disk.saveText(file.id, this.textRecord(prepared));
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        this.log(`assistants serve: ${file.id} is not indexed for retrieval: ${reason}`);
      }
    }
  }

  search(query: string, fileIds: readonly string[], limits: SearchLimits): Passage[] {
    return this.index.search(query, fileIds, limits);
  }

  async #readText(file: StoredFile): Promise<IndexedFile | null> {
    const blob = await this.source.files.open(file.id, 'text');
    if (blob === undefined) return null;
    const parts: Buffer[] = [];
    for await (const part of blob.stream) parts.push(part as Buffer);
    const record = JSON.parse(Buffer.concat(parts).toString('utf8')) as TextRecord;
    if (record.format !== 'assistants-serve-text' || record.version !== 1) throw new Error(`${file.id}.text is not a text record this version reads`);
    const chunks: Chunk[] = record.chunks.map(([start, end, heading]) => ({ start, end, heading }));
    return { fileId: file.id, filename: record.filename, text: record.text, chunks };
  }
}
