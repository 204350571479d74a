/**
 * The search index over every indexed file's passages: BM25 ranking (MiniSearch's BM25+),
 * each passage's heading weighed with its text. It holds the text of each file (a quote is
 * cut from it) and is bounded: at most `maxChars` characters of text in all, about 7 bytes
 * of memory each with the index; a file that would go past it is refused by the caller.
 */
import MiniSearch from 'minisearch';
import type { Chunk } from './chunk-text.js';
import { quoteRange } from './quote.js';
import { searchTerm, searchTerms } from './search-terms.js';

export interface IndexedFile {
  fileId: string;
  filename: string;
  text: string;
  chunks: readonly Chunk[];
}

/** A passage found for a question, with the sentence to quote when it is cited. */
export interface Passage {
  file_id: string;
  filename: string;
  text: string;
  quote: string;
}

export interface SearchLimits {
  /** At most this many passages. */
  passages: number;
  /** At most this many characters of passages in all. */
  chars: number;
}

/** Passages indexed between two turns of the event loop (some 10 ms of work). */
const PASSAGES_PER_BATCH = 100;

interface IndexedChunk {
  fileId: string;
  start: number;
  end: number;
}

interface FileEntry {
  filename: string;
  text: string;
  chunkIds: number[];
  /** How many of the file's passages hold each term: what a quote's words weigh. */
  passagesWith: Map<string, number>;
}

interface ChunkDocument {
  id: number;
  text: string;
  heading: string;
}

function newSearch(): MiniSearch<ChunkDocument> {
  return new MiniSearch<ChunkDocument>({
    fields: ['text', 'heading'],
    processTerm: (term) => searchTerm(term),
    searchOptions: { boost: { heading: 1.5 } },
  });
}

export class RetrievalIndex {
  #search = newSearch();
  readonly #files = new Map<string, FileEntry>();
  readonly #chunks = new Map<number, IndexedChunk>();
  #nextId = 0;
  #chars = 0;
  /** Bumped by clear(): an add still going on stops. */
  #generation = 0;

  constructor(readonly maxChars: number) {}

  /** Characters of text indexed now. */
  get chars(): number {
    return this.#chars;
  }

  has(fileId: string): boolean {
    return this.#files.has(fileId);
  }

  /** The ids of the files indexed. */
  fileIds(): string[] {
    return [...this.#files.keys()];
  }

  /**
   * Adds a file (replacing one with its id); the caller has checked that it fits. Its
   * characters count at once; its passages go in by batches, the event loop free between
   * them, so indexing a large file does not hold up the server's answers.
   */
  async add(file: IndexedFile): Promise<void> {
    this.remove(file.fileId);
    const generation = this.#generation;
    const entry: FileEntry = { filename: file.filename, text: file.text, chunkIds: [], passagesWith: new Map() };
    this.#files.set(file.fileId, entry);
    this.#chars += file.text.length;
    for (let from = 0; from < file.chunks.length; from += PASSAGES_PER_BATCH) {
      if (from > 0) {
        await new Promise((resolve) => setImmediate(resolve));
        // Cleared, or the file removed, meanwhile: what is left is not wanted.
        if (generation !== this.#generation || this.#files.get(file.fileId) !== entry) return;
      }
      const documents: ChunkDocument[] = [];
      for (const chunk of file.chunks.slice(from, from + PASSAGES_PER_BATCH)) {
        const id = this.#nextId++;
        entry.chunkIds.push(id);
        this.#chunks.set(id, { fileId: file.fileId, start: chunk.start, end: chunk.end });
        const text = file.text.slice(chunk.start, chunk.end);
        documents.push({ id, text, heading: chunk.heading });
        for (const term of searchTerms(text)) entry.passagesWith.set(term, (entry.passagesWith.get(term) ?? 0) + 1);
      }
      this.#search.addAll(documents);
    }
  }

  remove(fileId: string): void {
    const entry = this.#files.get(fileId);
    if (entry === undefined) return;
    this.#search.discardAll(entry.chunkIds);
    for (const id of entry.chunkIds) this.#chunks.delete(id);
    this.#files.delete(fileId);
    this.#chars -= entry.text.length;
  }

  clear(): void {
    this.#generation++;
    this.#search = newSearch();
    this.#files.clear();
    this.#chunks.clear();
    this.#chars = 0;
  }

  /** The best passages for `query` among the files `fileIds`, best first. */
  search(query: string, fileIds: readonly string[], limits: SearchLimits): Passage[] {
    const wanted = new Set(fileIds.filter((id) => this.#files.has(id)));
    if (wanted.size === 0) return [];
    const results = this.#search.search(query, {
      filter: (result) => wanted.has(this.#chunks.get(result.id as number)?.fileId ?? ''),
    });
    const terms = searchTerms(query);
    const passages: Passage[] = [];
    let chars = 0;
    for (const result of results) {
      const chunk = this.#chunks.get(result.id as number);
      const file = chunk === undefined ? undefined : this.#files.get(chunk.fileId);
      if (chunk === undefined || file === undefined) continue;
      const length = chunk.end - chunk.start;
      if (chars + length > limits.chars) break;
      const weight = (term: string): number => Math.log(1 + file.chunkIds.length / (1 + (file.passagesWith.get(term) ?? 0)));
      const [quoteStart, quoteEnd] = quoteRange(file.text, chunk.start, chunk.end, terms, weight);
      passages.push({
        file_id: chunk.fileId,
        filename: file.filename,
        text: file.text.slice(chunk.start, chunk.end),
        quote: file.text.slice(quoteStart, quoteEnd),
      });
      chars += length;
      if (passages.length >= limits.passages) break;
    }
    return passages;
  }
}
