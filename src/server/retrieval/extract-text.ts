/**
 * The text of an uploaded file, for retrieval: from the bytes held in memory (a small
 * upload), else read from disk as it streams (never the whole file in memory, only its
 * text, bounded), decoded (a UTF-8 or UTF-16 byte order
 * mark, else UTF-8, else Windows-1252), and for HTML without its markup. A file that is
 * not text (a NUL character: an image or an archive with a text extension), too much
 * text, or a PDF that cannot be read is refused with an UnindexableFileError.
 */
import { createReadStream } from 'node:fs';
import type { Parser } from 'htmlparser2';
import type { PendingContent } from '../store/store.js';
import type { RetrievalKind } from './file-kinds.js';
import { pdfPages } from './pdf-text.js';

export interface ExtractionLimits {
  /** Most characters of text a file may hold. */
  maxFileChars: number;
  /** Largest PDF that is read. */
  maxPdfBytes: number;
  /** How long reading one PDF may take, in milliseconds. */
  pdfTimeoutMs: number;
}

/** Why an upload cannot be indexed; the message says so in a sentence that names the file. */
export class UnindexableFileError extends Error {
  override readonly name = 'UnindexableFileError';
}

/** The file's text, ready to chunk: pages of a PDF and blocks of HTML are separated by blank lines. */
export async function extractText(
  content: PendingContent,
  filename: string,
  kind: RetrievalKind,
  bytes: number,
  limits: ExtractionLimits,
): Promise<string> {
  if (kind === 'pdf') return pdfText(await content.pendingPath(), filename, bytes, limits);
  const source = await contentSource(content);
  const text = new BoundedText(filename, limits.maxFileChars);
  if (kind === 'html') {
    // Loaded with the first HTML file (it takes ~75 ms): a server without one never pays for it.
    const { Parser: HtmlParser } = await import('htmlparser2');
    const html = new HtmlText(text, HtmlParser);
    await decodeFile(source, filename, (piece) => html.write(piece), () => html.reset());
    html.end();
  } else {
    await decodeFile(source, filename, (piece) => text.append(piece), () => text.reset());
  }
  return text.value();
}

/** Text gathered up to a limit; past it, the file is refused. */
class BoundedText {
  #pieces: string[] = [];
  #length = 0;

  constructor(
    private readonly filename: string,
    private readonly maxChars: number,
  ) {}

  append(piece: string): void {
    this.#length += piece.length;
    if (this.#length > this.maxChars) throw tooMuchText(this.filename, this.maxChars);
    this.#pieces.push(piece);
  }

  reset(): void {
    this.#pieces = [];
    this.#length = 0;
  }

  value(): string {
    return this.#pieces.join('');
  }
}

function tooMuchText(filename: string, maxChars: number): UnindexableFileError {
  return new UnindexableFileError(
    `'${filename}' has more than ${maxChars.toLocaleString('en-US')} characters of text (about ${Math.round(maxChars / 4).toLocaleString('en-US')} tokens), the most a file may have for retrieval; split it into smaller files.`,
  );
}

const NOT_TEXT = (filename: string): UnindexableFileError =>
  new UnindexableFileError(
    `'${filename}' is not text (it holds NUL bytes), so it cannot be indexed for retrieval; upload a text file, or give a binary file its own extension.`,
  );

/** The content read from its start: its chunks (each call reads it again), and its first bytes. */
interface Source {
  chunks(): AsyncIterable<Buffer> | Iterable<Buffer>;
  first(count: number): Promise<Buffer>;
}

/** Held bytes are read where they are; a file is streamed. */
async function contentSource(content: PendingContent): Promise<Source> {
  const held = content.held();
  if (held !== undefined) return { chunks: () => [held], first: async (count) => held.subarray(0, count) };
  const path = await content.pendingPath();
  return { chunks: () => createReadStream(path), first: (count) => firstBytes(path, count) };
}

/**
 * Streams the file's characters to `onText`. Without a byte order mark it is read as UTF-8;
 * when that fails, `restart` is called and it is read again as Windows-1252 (Latin-1 text).
 */
async function decodeFile(source: Source, filename: string, onText: (text: string) => void, restart: () => void): Promise<void> {
  const bom = await source.first(3);
  const encoding = bom[0] === 0xff && bom[1] === 0xfe ? 'utf-16le' : bom[0] === 0xfe && bom[1] === 0xff ? 'utf-16be' : 'utf-8';
  try {
    await decodeAs(source, encoding, filename, onText);
  } catch (error) {
    if (encoding !== 'utf-8' || !(error instanceof TypeError)) throw error;
    restart();
    await decodeAs(source, 'windows-1252', filename, onText);
  }
}

async function decodeAs(source: Source, encoding: string, filename: string, onText: (text: string) => void): Promise<void> {
  // Fatal for UTF-8 so that Latin-1 text gets its second chance; the BOM is dropped.
  const decoder = new TextDecoder(encoding, { fatal: encoding === 'utf-8' });
  const emit = (text: string): void => {
    if (text.includes('\u0000')) throw NOT_TEXT(filename);
    if (text !== '') onText(text);
  };
  for await (const chunk of source.chunks()) emit(decoder.decode(chunk as Buffer, { stream: true }));
  emit(decoder.decode());
}

async function firstBytes(path: string, count: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of createReadStream(path, { start: 0, end: count - 1 })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Elements whose content is not text a reader sees. */
const HIDDEN = new Set(['script', 'style', 'head', 'template', 'noscript', 'svg', 'iframe', 'object']);
/** Elements that are a block of their own: a blank line before and after. */
const BLOCKS = new Set([
  'p', 'div', 'section', 'article', 'main', 'header', 'footer', 'aside', 'nav', 'hr', 'ul', 'ol', 'dl',
  'table', 'blockquote', 'pre', 'figure', 'figcaption', 'form', 'fieldset', 'address', 'details', 'summary',
]);
/** Elements that are a line of their own: a line break before and after. */
const LINES = new Set(['br', 'li', 'tr', 'dt', 'dd']);
const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);

/** How strong a separator is: a heading's marker beats a blank line, which beats a line break, which beats a space. */
function separatorRank(separator: string): number {
  if (separator.includes('#')) return 3;
  if (separator.includes('\n\n')) return 2;
  if (separator.includes('\n')) return 1;
  return separator === '' ? -1 : 0;
}

/**
 * HTML to plain text as it streams: visible text only, entities decoded, a blank line
 * between blocks, headings as Markdown (`## Title`) so the chunker and the index see them.
 */
class HtmlText {
  #parser: Parser;
  #hiddenDepth = 0;
  /** What goes before the next text: the strongest separator asked for since the last text. */
  #pending = '';
  #started = false;

  constructor(
    private readonly out: BoundedText,
    private readonly HtmlParser: typeof Parser,
  ) {
    this.#parser = this.#newParser();
  }

  #newParser(): Parser {
    return new this.HtmlParser(
      {
        onopentag: (name) => {
          if (HIDDEN.has(name)) this.#hiddenDepth++;
          else if (HEADINGS.has(name)) this.#separate(`\n\n${'#'.repeat(Number(name.slice(1)))} `);
          else if (LINES.has(name)) this.#separate('\n');
          else if (BLOCKS.has(name)) this.#separate('\n\n');
          else if (name === 'td' || name === 'th') this.#separate(' ');
        },
        onclosetag: (name) => {
          if (HIDDEN.has(name)) this.#hiddenDepth = Math.max(0, this.#hiddenDepth - 1);
          // An empty heading leaves no marker behind for the text after it.
          else if (HEADINGS.has(name) && this.#pending.includes('#')) this.#pending = '\n\n';
          else if (HEADINGS.has(name) || BLOCKS.has(name)) this.#separate('\n\n');
          else if (LINES.has(name)) this.#separate('\n');
        },
        ontext: (text) => {
          if (this.#hiddenDepth > 0) return;
          const collapsed = text.replace(/\s+/g, ' ');
          if (collapsed.trim() === '') return this.#separate(collapsed);
          const separator = this.#started ? this.#pending : this.#pending.trimStart();
          this.out.append(separator + (separatorRank(this.#pending) > 0 ? collapsed.trimStart() : collapsed));
          this.#pending = '';
          this.#started = true;
        },
      },
      { decodeEntities: true, lowerCaseTags: true },
    );
  }

  #separate(separator: string): void {
    if (separatorRank(separator) >= separatorRank(this.#pending)) this.#pending = separator;
  }

  write(text: string): void {
    this.#parser.write(text);
  }

  reset(): void {
    this.out.reset();
    this.#hiddenDepth = 0;
    this.#pending = '';
    this.#started = false;
    this.#parser = this.#newParser();
  }

  end(): void {
    this.#parser.end();
  }
}

async function pdfText(path: string, filename: string, bytes: number, limits: ExtractionLimits): Promise<string> {
  if (bytes > limits.maxPdfBytes) {
    throw new UnindexableFileError(
      `'${filename}' is a PDF of ${size(bytes)}; PDFs larger than ${size(limits.maxPdfBytes)} are not indexed for retrieval. Split it, or upload its text.`,
    );
  }
  const result = await pdfPages(path, { maxChars: limits.maxFileChars, timeoutMs: limits.pdfTimeoutMs });
  switch (result.type) {
    case 'pages': {
      const text = new BoundedText(filename, limits.maxFileChars);
      result.pages.forEach((page, index) => text.append(index === 0 ? page : `\n\n${page}`));
      return text.value();
    }
    case 'too-long':
      throw tooMuchText(filename, limits.maxFileChars);
    case 'unreadable':
      throw new UnindexableFileError(`'${filename}' could not be read as a PDF (${result.reason}); check that it opens, or upload its text.`);
  }
}

function size(bytes: number): string {
  const [unit, scale] = bytes >= 1_000_000 ? ['MB', 1_000_000] : bytes >= 1000 ? ['kB', 1000] : ['bytes', 1];
  return `${(bytes / scale).toLocaleString('en-US', { maximumFractionDigits: 1 })} ${unit}`;
}
