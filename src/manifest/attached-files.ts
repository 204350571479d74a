/**
 * Files under `files:` that assistants attach: checked without reading them (exists, a
 * regular file, readable, within the API's upload limit), then hashed as a stream, or
 * taken from the hash cache when the file is unchanged (file-hash-cache.ts).
 */
import { createHash } from 'node:crypto';
import { accessSync, closeSync, constants, createReadStream, fstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { FileHashCache, FileIdentity } from './file-hash-cache.js';
import { mapBounded } from './map-bounded.js';
import { describeFsError, formatBytes } from './source-file.js';

/** The Files API's limit for purpose `assistants`. */
export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;

export type FileCheck = { ok: true; bytes: number; identity: FileIdentity } | { ok: false; message: string };

/** The real user id access(2) checks for (undefined on Windows, where stats name no owner). */
const userId = process.getuid?.();

/**
 * A file this user owns with its owner's read bit set: access(2) would answer yes (ACLs do
 * not narrow the owner's class), so the thousands of attached files in a checkout cost one
 * syscall each, not two. Any other file is asked about with access(2).
 */
function ownerCanRead(info: Stats): boolean {
  return userId !== undefined && info.uid === userId && (info.mode & 0o400) !== 0;
}

/**
 * Without waiting on the thread pool: a stat on a local disk takes microseconds, a trip
 * through the pool and a promise far longer, and a manifest may attach thousands.
 */
export function checkAttachedFile(path: string, stats?: Stats): FileCheck {
  try {
    // `stats`: the file's, already taken (paths.ts, for a file that is not a symbolic link).
    const info = stats ?? statSync(path);
    if (info.isDirectory()) return { ok: false, message: 'is a folder, not a file' };
    if (!info.isFile()) return { ok: false, message: 'is not a regular file' };
    const bytes = info.size;
    if (bytes === 0) return { ok: false, message: 'is empty; the API does not accept empty files' };
    if (bytes > MAX_UPLOAD_BYTES) {
      return { ok: false, message: `is ${formatBytes(bytes)}; the API accepts files up to ${formatBytes(MAX_UPLOAD_BYTES)}` };
    }
    if (!ownerCanRead(info)) accessSync(path, constants.R_OK);
    return { ok: true, bytes, identity: { size: bytes, mtimeMs: info.mtimeMs, ino: info.ino } };
  } catch (error) {
    return { ok: false, message: describeFsError(error) };
  }
}

/** Files up to this size are read whole to hash them; larger ones as a stream. */
const READ_WHOLE_BYTES = 1024 * 1024;
/** Files hashed at once. */
const HASHES_AT_ONCE = 16;

/** Hex sha256 of a file's content. */
export async function hashFile(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  if (bytes <= READ_WHOLE_BYTES) return hash.update(await readFile(path)).digest('hex');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A file's sha256 and, when it is small enough to read whole, its bytes (else null: read
 * it again, as a stream, to use it). Small ones are read without the thread pool (as
 * `checkAttachedFile` stats), so what is hashed is what an upload sends.
 */
export async function readAttachedFile(path: string): Promise<{ sha256: string; content: Buffer | null }> {
  const fd = openSync(path, 'r');
  let size: number;
  try {
    size = fstatSync(fd).size;
    if (size <= READ_WHOLE_BYTES) {
      const content = readFileSync(fd);
      return { sha256: createHash('sha256').update(content).digest('hex'), content };
    }
  } finally {
    closeSync(fd);
  }
  return { sha256: await hashFile(path, size), content: null };
}

/** The checked files with their sha256: from the cache when unchanged, else hashed (and the cache updated and saved). */
export async function hashAttachedFiles(
  files: ReadonlyMap<string, { path: string; bytes: number; identity: FileIdentity }>,
  cache: FileHashCache,
): Promise<Map<string, { path: string; bytes: number; sha256: string }>> {
  const checked = [...files];
  // Looked up in one pass (thousands of unchanged files, no I/O), then only the others hashed.
  const known = checked.map(([, { path, identity }]) => cache.lookup(path, identity));
  const unknown = checked.flatMap((entry, index) => (known[index] === undefined ? [{ entry, index }] : []));
  await mapBounded(unknown, HASHES_AT_ONCE, async ({ entry: [, { path, bytes, identity }], index }) => {
    const sha256 = await hashFile(path, bytes);
    cache.remember(path, identity, sha256);
    known[index] = sha256;
  });
  await cache.save();
  return new Map(checked.map(([name, { path, bytes }], index) => [name, { path, bytes, sha256: known[index] as string }]));
}
