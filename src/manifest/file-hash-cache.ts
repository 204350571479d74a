/**
 * Attached files hashed once per content: a cache (a JSON file beside the state, 0600 in a
 * 0700 folder) maps each file's path to its sha256 and to the size, mtime and inode it had
 * when it was hashed. A file whose size, mtime or inode differs from its entry is hashed
 * again. As git does with its index, an entry whose mtime is not older than the cache file
 * itself is not trusted either: the file may have changed again within the same tick of
 * the file system's clock. A cache that cannot be read or is not in this shape is ignored
 * and rewritten; writing it is best effort (a read-only folder costs only the hashing;
 * private-cache.ts has the rules every such cache follows).
 */
import { isJsonRecord } from '../json.js';
import { readCacheFile, writeCacheFile } from '../private-cache.js';

/**
 * What identifies a file's content without reading it: lstat's numbers, not its bigints (a
 * BigInt stat costs ~2x as much, over thousands of files). mtimeMs is a double, exact to
 * ~0.25 us today, finer than the clock tick file systems stamp times with.
 */
export interface FileIdentity {
  size: number;
  mtimeMs: number;
  ino: number;
}

interface Entry extends FileIdentity {
  sha256: string;
}

/** 2: size, mtimeMs and ino as numbers (1 held nanoseconds and the inode as decimal strings). */
const VERSION = 2;
/** A cache larger than this is not read (and is rewritten): ~200 bytes per file. */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;
/** Past this many entries, those of files this run did not look at are dropped. */
const MAX_ENTRIES = 100_000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export class FileHashCache {
  private changed = false;
  private readonly used = new Set<string>();

  private constructor(
    private readonly path: string | null,
    private readonly entries: Map<string, Entry>,
    /** The cache file's own mtime: entries not older than it are not trusted. */
    private readonly writtenMs: number,
  ) {}

  /** A cache that remembers nothing and is never written. */
  static none(): FileHashCache {
    return new FileHashCache(null, new Map(), 0);
  }

  /** The cache at `path`; an empty one when it is missing, unreadable or malformed. */
  static async open(path: string): Promise<FileHashCache> {
    const read = await readCache(path);
    const cache = new FileHashCache(path, read?.entries ?? new Map(), read?.writtenMs ?? 0);
    // One that could not be used is rewritten even when every file hashes the same.
    if (read === null) cache.changed = true;
    return cache;
  }

  /** The cached sha256 of the file at `path`, when its identity matches and the entry can be trusted. */
  lookup(path: string, identity: FileIdentity): string | undefined {
    this.used.add(path);
    const entry = this.entries.get(path);
    if (entry === undefined) return undefined;
    if (!sameIdentity(entry, identity)) return undefined;
    if (!(entry.mtimeMs < this.writtenMs)) return undefined;
    return entry.sha256;
  }

  remember(path: string, identity: FileIdentity, sha256: string): void {
    this.used.add(path);
    const entry = this.entries.get(path);
    if (entry && entry.sha256 === sha256 && sameIdentity(entry, identity)) {
      // Hashed again only because the entry was too recent to trust: rewriting the cache makes it old enough.
      if (!(entry.mtimeMs < this.writtenMs)) this.changed = true;
      return;
    }
    this.entries.set(path, { ...identity, sha256 });
    this.changed = true;
  }

  /** Writes the cache when anything changed; never throws. */
  async save(): Promise<void> {
    if (this.path === null || !this.changed) return;
    if (this.entries.size > MAX_ENTRIES) {
      for (const key of [...this.entries.keys()]) if (!this.used.has(key)) this.entries.delete(key);
    }
    const files: Record<string, Entry> = Object.create(null) as Record<string, Entry>;
    for (const key of [...this.entries.keys()].sort()) files[key] = this.entries.get(key)!;
    if (await writeCacheFile(this.path, `${JSON.stringify({ version: VERSION, files })}\n`)) this.changed = false;
  }
}

async function readCache(path: string): Promise<{ entries: Map<string, Entry>; writtenMs: number } | null> {
  const read = await readCacheFile(path, MAX_CACHE_BYTES);
  const entries = read === null ? null : parseEntries(read.data);
  return entries === null || read === null ? null : { entries, writtenMs: read.mtimeMs };
}

function parseEntries(data: unknown): Map<string, Entry> | null {
  if (!isJsonRecord(data) || data.version !== VERSION || !isJsonRecord(data.files)) return null;
  const entries = new Map<string, Entry>();
  for (const [path, value] of Object.entries(data.files)) {
    if (!isJsonRecord(value)) return null;
    const { size, mtimeMs, ino, sha256 } = value;
    // An inode past 2^53 arrives rounded (a double): still a stable identity.
    if (!isCount(size) || !isFiniteNumber(mtimeMs) || !isFiniteNumber(ino) || ino < 0) return null;
    if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) return null;
    entries.set(path, { size, mtimeMs, ino, sha256 });
  }
  return entries;
}

function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
