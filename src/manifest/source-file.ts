/**
 * Text files the manifest is made of (the manifest itself, instructions and parameters
 * files): read defensively, and able to turn an offset into a line and column.
 */
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { ManifestDiagnostic } from './diagnostics.js';

export interface SourceFile {
  /** Absolute path; diagnostics name it, and formatDiagnostic shows it relative. */
  path: string;
  text: string;
  /** Offsets at which each line starts. */
  lineStarts: number[];
}

export function makeSourceFile(path: string, text: string): SourceFile {
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  return { path, text, lineStarts };
}

/** 1-based line and column of a 0-based offset into the text. */
export function lineColumn(file: SourceFile, offset: number): { line: number; column: number } {
  let low = 0;
  let high = file.lineStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((file.lineStarts[mid] ?? 0) <= offset) low = mid;
    else high = mid - 1;
  }
  return { line: low + 1, column: offset - (file.lineStarts[low] ?? 0) + 1 };
}

export function diagnosticAt(
  file: SourceFile,
  offset: number,
  message: string,
  path?: string,
): ManifestDiagnostic {
  const { line, column } = lineColumn(file, offset);
  return path === undefined
    ? { file: file.path, line, column, message }
    : { file: file.path, line, column, message, path };
}

/**
 * Why a file could not be read: `access` problems belong to whoever named the file
 * (a position in the manifest); `content` problems point into the file itself.
 */
export type ReadFailure =
  | { kind: 'access'; message: string }
  | { kind: 'content'; diagnostic: ManifestDiagnostic };

export type ReadResult = { ok: true; file: SourceFile } | ({ ok: false } & ReadFailure);

export interface ReadLimits {
  /** Refuse files larger than this many bytes, without reading them. */
  maxBytes: number;
  /** What the file is, for messages: "a manifest", "an instructions file". */
  what: string;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Why a file-system call failed, as a predicate: "<path> does not exist". */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'does not exist';
    case 'ENOTDIR':
      return 'does not exist (a parent of it is not a folder)';
    case 'EACCES':
    case 'EPERM':
      return 'cannot be read: permission denied';
    case 'ELOOP':
      return 'is a symbolic link loop';
    case 'EISDIR':
      return 'is a folder, not a file';
    case 'ENAMETOOLONG':
      return 'is too long a path';
    default:
      return `cannot be read: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * Reads a UTF-8 text file: refuses anything that is not a regular file, anything over
 * the size limit, binary content (a NUL byte) and invalid UTF-8. Never throws.
 */
export async function readSourceFile(path: string, limits: ReadLimits): Promise<ReadResult> {
  let bytes: Buffer;
  try {
    const info = await stat(path);
    if (info.isDirectory()) return { ok: false, kind: 'access', message: 'is a folder, not a file' };
    if (!info.isFile()) return { ok: false, kind: 'access', message: 'is not a regular file' };
    if (info.size > limits.maxBytes) {
      return {
        ok: false,
        kind: 'access',
        message: `is ${formatBytes(info.size)}; ${limits.what} can be at most ${formatBytes(limits.maxBytes)}`,
      };
    }
    // O_NONBLOCK: a file swapped for a FIFO after the stat must not hang the read.
    const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const buffer = Buffer.alloc(limits.maxBytes + 1);
      let length = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
        if (bytesRead === 0) break;
        length += bytesRead;
        if (length > limits.maxBytes) {
          return { ok: false, kind: 'access', message: `is larger than ${formatBytes(limits.maxBytes)}; ${limits.what} can be at most that` };
        }
      }
      bytes = buffer.subarray(0, length);
    } finally {
      await handle.close();
    }
  } catch (error) {
    return { ok: false, kind: 'access', message: describeFsError(error) };
  }
  return decodeText(path, bytes, limits.what);
}

function decodeText(path: string, bytes: Buffer, what: string): ReadResult {
  const nul = bytes.indexOf(0);
  const lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(bytes);
  if (nul >= 0) {
    const prefix = new TextDecoder('utf-8').decode(bytes.subarray(0, nul));
    const file = makeSourceFile(path, lenient);
    return {
      ok: false,
      kind: 'content',
      diagnostic: diagnosticAt(file, prefix.replace(/^\uFEFF/, '').length, `binary content (a NUL byte): ${what} must be UTF-8 text`),
    };
  }
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    return { ok: true, file: makeSourceFile(path, text) };
  } catch {
    const file = makeSourceFile(path, lenient);
    const bad = Math.max(0, lenient.indexOf('\uFFFD'));
    return {
      ok: false,
      kind: 'content',
      diagnostic: diagnosticAt(file, bad, `invalid UTF-8: ${what} must be UTF-8 text`),
    };
  }
}
