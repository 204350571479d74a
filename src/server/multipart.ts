/**
 * A small streaming multipart/form-data reader (RFC 7578) for `POST /v1/files`: file parts
 * are passed on chunk by chunk, so an upload is never held in memory whole.
 *
 * Linear time and bounded memory, whatever the body: the bytes held between two chunks
 * are at most a delimiter's length (in a part's body or the preamble), 1 KiB (after a
 * boundary), 16 KiB (part headers) or 64 KiB (a field's value), each checked as bytes
 * arrive; and reading stops at the closing boundary (an epilogue is never read).
 */
import { invalidRequest } from './errors.js';

export interface PartHeaders {
  name: string;
  filename: string | undefined;
  contentType: string | undefined;
}

export interface MultipartHandlers {
  /** A file part begins; returns where its bytes go. */
  file(part: PartHeaders): { write(chunk: Buffer): Promise<void> };
  /** A plain field, complete. */
  field(name: string, value: string): void;
}

const MAX_FIELD_BYTES = 64 * 1024;
const MAX_HEADER_BYTES = 16 * 1024;
/** Transport padding (spaces, tabs) allowed between a boundary and its line break. */
const MAX_BOUNDARY_LINE_BYTES = 1024;

const CRLF = Buffer.from('\r\n');
const HEADERS_END = Buffer.from('\r\n\r\n');

/** The boundary from a `multipart/form-data; boundary=…` content type, or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  return boundary && boundary.length <= 70 ? boundary : undefined;
}

function malformed(detail: string): never {
  throw invalidRequest(`Could not parse multipart form: ${detail}.`);
}

function parsePartHeaders(block: string): PartHeaders {
  let disposition: string | undefined;
  let contentType: string | undefined;
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'content-disposition') disposition = value;
    else if (key === 'content-type') contentType = value;
  }
  if (!disposition || !/^form-data\b/i.test(disposition)) malformed('a part has no Content-Disposition: form-data header');
  const params = new Map<string, string>();
  const re = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (let m = re.exec(disposition); m; m = re.exec(disposition)) {
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '').trim();
    // Browsers and form-data encoders escape these three as %22, %0D and %0A (WHATWG HTML).
    params.set((m[1] as string).toLowerCase(), value.replace(/%22|%0D|%0A/gi, (e) => decodeURIComponent(e)));
  }
  const name = params.get('name');
  if (name === undefined) malformed('a part has no name');
  return { name, filename: params.get('filename'), contentType };
}

type State = 'preamble' | 'boundary' | 'headers' | 'body' | 'done';

/**
 * Reads the form from `source`, calling `handlers` as parts complete. Returns once the
 * closing boundary is read, without reading further: what `source` still holds is left
 * to the caller (an HTTP server closes the connection).
 */
export async function readMultipart(
  source: AsyncIterable<Buffer | string>,
  boundary: string,
  handlers: MultipartHandlers,
): Promise<void> {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  // Prefixing CRLF lets the first boundary match the same delimiter as the others.
  let buffer: Buffer = CRLF;
  // An object, so the closure's assignments are not lost to control-flow narrowing.
  const parser: { state: State } = { state: 'preamble' };
  let sink: { write(chunk: Buffer): Promise<void> } | undefined;
  let field: { name: string; chunks: Buffer[]; size: number } | undefined;

  const emit = async (chunk: Buffer): Promise<void> => {
    if (chunk.length === 0) return;
    if (sink) {
      await sink.write(chunk);
    } else if (field) {
      field.size += chunk.length;
      if (field.size > MAX_FIELD_BYTES) malformed(`field '${field.name}' is too long`);
      field.chunks.push(chunk);
    }
  };

  /** Advances one state if it can; false when it needs more bytes (or is done). */
  const step = async (): Promise<boolean> => {
    switch (parser.state) {
      case 'preamble': {
        const at = buffer.indexOf(delimiter);
        if (at < 0) {
          // Keep only a tail that could be the start of a delimiter split across chunks.
          buffer = buffer.subarray(Math.max(0, buffer.length - (delimiter.length - 1)));
          return false;
        }
        buffer = buffer.subarray(at + delimiter.length);
        parser.state = 'boundary';
        return true;
      }
      case 'boundary': {
        if (buffer.length < 2) return false;
        if (buffer[0] === 0x2d && buffer[1] === 0x2d) {
          parser.state = 'done';
          return false;
        }
        const eol = buffer.indexOf(CRLF);
        if (eol < 0) {
          if (buffer.length > MAX_BOUNDARY_LINE_BYTES) malformed('a boundary is not followed by a line break');
          return false;
        }
        // Transport padding (spaces or tabs) may follow a boundary.
        if (!/^[ \t]*$/.test(buffer.subarray(0, eol).toString('latin1'))) malformed('bad boundary line');
        buffer = buffer.subarray(eol + 2);
        parser.state = 'headers';
        return true;
      }
      case 'headers': {
        const end = buffer.indexOf(HEADERS_END);
        if (end < 0) {
          if (buffer.length > MAX_HEADER_BYTES) malformed('part headers are too long');
          return false;
        }
        if (end > MAX_HEADER_BYTES) malformed('part headers are too long');
        const part = parsePartHeaders(buffer.subarray(0, end).toString('utf8'));
        buffer = buffer.subarray(end + HEADERS_END.length);
        if (part.filename !== undefined) sink = handlers.file(part);
        else field = { name: part.name, chunks: [], size: 0 };
        parser.state = 'body';
        return true;
      }
      case 'body': {
        const at = buffer.indexOf(delimiter);
        if (at < 0) {
          // Keep a tail that could be the start of a delimiter split across chunks.
          const safe = Math.max(0, buffer.length - (delimiter.length - 1));
          await emit(buffer.subarray(0, safe));
          buffer = buffer.subarray(safe);
          return false;
        }
        await emit(buffer.subarray(0, at));
        buffer = buffer.subarray(at + delimiter.length);
        if (field) handlers.field(field.name, Buffer.concat(field.chunks).toString('utf8'));
        sink = undefined;
        field = undefined;
        parser.state = 'boundary';
        return true;
      }
      case 'done':
        return false;
    }
  };

  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    // What is held over is bounded (see above), so this copy costs O(chunk).
    buffer = buffer.length === 0 ? bytes : Buffer.concat([buffer, bytes]);
    while (await step()) {
      // keep stepping while a state completes
    }
    if (parser.state === 'done') return;
  }
  malformed('the body ended before the closing boundary');
}
