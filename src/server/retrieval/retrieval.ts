/**
 * Retrieval over the Files attached to assistants and messages. An upload with purpose
 * `assistants` whose name has an indexed extension (file-kinds.ts) has its text extracted
 * and cut into passages when it is uploaded; the text and passages are kept beside its
 * content (`<id>.text`, so a restart does not read PDFs again) and in the search index.
 * A run's retrieval step searches the index (see docs/retrieval.md).
 *
 *   const prepared = await retrieval.prepare(upload);   // throws UnindexableFileError
 *   await retrieval.admit(prepared);                    // indexed, or UnindexableFileError when full
 *   await retrieval.saveText(prepared);                 // its text kept beside its blob
 *   retrieval.search('refund policy', fileIds, limits);
 */
import type { BlobStore } from '../blobs.js';
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

/** An upload as far as retrieval cares: where its bytes are (not yet committed), its name and purpose. */
export interface UploadToIndex {
  id: string;
  filename: string;
  purpose: string;
  path: string;
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

export class Retrieval {
  readonly index: RetrievalIndex;

  constructor(
    private readonly blobs: BlobStore,
    private readonly options: RetrievalOptions,
    private readonly log: (line: string) => void,
  ) {
    this.index = new RetrievalIndex(options.maxIndexChars);
  }

  /** The upload's text and passages, or null when it is not indexed (by purpose or extension). */
  async prepare(upload: UploadToIndex): Promise<IndexedFile | null> {
    const kind = shouldIndex(upload) ? retrievalKind(upload.filename) : null;
    if (kind === null) return null;
    const text = await extractText(upload.path, upload.filename, kind, upload.bytes, this.options);
    const file = { fileId: upload.id, filename: upload.filename, text, chunks: chunkText(text) };
    // Refused now rather than after the upload is kept; admit() checks again.
    this.#checkRoom(file);
    return file;
  }

  /**
   * Indexes a prepared file, or refuses it when the index has no room (checked and taken at
   * once, so uploads side by side cannot together go past the bound).
   */
  admit(file: IndexedFile): Promise<void> {
    this.#checkRoom(file);
    return this.index.add(file);
  }

  #checkRoom(file: IndexedFile): void {
    const chars = this.index.chars + file.text.length;
    if (chars <= this.index.maxChars) return;
    throw new UnindexableFileError(
      `The server's retrieval index is full: '${file.filename}' has ${file.text.length.toLocaleString('en-US')} characters of text, and ${(this.index.maxChars - this.index.chars).toLocaleString('en-US')} of the ${this.index.maxChars.toLocaleString('en-US')} the server indexes are left. Delete files, or start the server with a larger --retrieval-index-chars.`,
    );
  }

  /** Keeps the file's text and passages beside its content, for the next start. */
  async saveText(file: IndexedFile): Promise<void> {
    const record: TextRecord = {
      format: 'assistants-serve-text',
      version: 1,
      filename: file.filename,
      text: file.text,
      chunks: file.chunks.map((chunk) => [chunk.start, chunk.end, chunk.heading]),
    };
    const writer = this.blobs.create(file.fileId, 'text');
    try {
      await writer.write(Buffer.from(JSON.stringify(record)));
      await writer.commit();
    } catch (error) {
      await writer.abort();
      throw error;
    }
  }

  forget(fileId: string): void {
    this.index.remove(fileId);
  }

  clear(): void {
    this.index.clear();
  }

  /**
   * At start: indexes the stored Files that are to be indexed, from their `<id>.text`, or
   * (uploaded by a version without retrieval, or the text lost) from their content. A file
   * that cannot be indexed is logged and left out; it stays a File.
   */
  async load(files: readonly StoredFile[]): Promise<void> {
    for (const file of files.filter(shouldIndex)) {
      try {
        const kept = await this.#readText(file);
        if (kept !== null) {
          await this.admit(kept);
          continue;
        }
        const path = await this.blobs.contentPath(file.id);
        const prepared = path === undefined ? null : await this.prepare({ ...file, path });
        if (prepared === null) continue;
        await this.admit(prepared);
        await this.saveText(prepared);
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
    const blob = await this.blobs.open(file.id, 'text');
    if (blob === undefined) return null;
    const parts: Buffer[] = [];
    for await (const part of blob.stream) parts.push(part as Buffer);
    const record = JSON.parse(Buffer.concat(parts).toString('utf8')) as TextRecord;
    if (record.format !== 'assistants-serve-text' || record.version !== 1) throw new Error(`${file.id}.text is not a text record this version reads`);
    const chunks: Chunk[] = record.chunks.map(([start, end, heading]) => ({ start, end, heading }));
    return { fileId: file.id, filename: record.filename, text: record.text, chunks };
  }
}
