/**
 * Uploaded file contents. Beside the journal with `--data`: one file per blob in a folder,
 * written to a temp file, fsynced and renamed on commit. Without it (nothing outlives the
 * process) a small blob is kept in memory, up to MEMORY_BLOB_BYTES of them in all, and the
 * rest in a private folder under the OS temp dir, made on first use and removed on close.
 * A blob of at most HELD_BLOB_BYTES (most uploads) is held in memory until commit and then
 * written with one call, so retrieval reads it without touching the disk; a larger one
 * goes to disk as it arrives, and a download of it is streamed from disk, so no large
 * content is ever held in memory whole.
 */
import { Readable } from 'node:stream';
import { access, chmod, mkdir, mkdtemp, open, readdir, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isErrnoCode, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, syncDirectory } from './durable-fs.js';

/**
 * A blob's bytes before it is kept: held in memory while they fit (HELD_BLOB_BYTES), else in
 * a file. What retrieval reads to index an upload.
 */
export interface PendingContent {
  /** All the bytes written so far, when they are still held in memory; undefined once they are on disk. */
  held(): Buffer | undefined;
  /** The file the bytes written so far are in (held bytes are written there first). */
  pendingPath(): Promise<string>;
}

export interface BlobWriter extends PendingContent {
  write(chunk: Buffer): Promise<void>;
  /** Bytes written so far. */
  readonly bytesWritten: number;
  /** Finishes the blob and returns its size in bytes. */
  commit(): Promise<number>;
  abort(): Promise<void>;
}

/** A blob opened for reading: its size, and a stream of its bytes (to be consumed or destroyed). */
export interface BlobReader {
  size: number;
  stream: Readable;
}

/** What a blob holds for its File: the uploaded bytes, or the text extracted from them for retrieval. */
export type BlobPart = 'content' | 'text';

/**
 * Blobs up to this size stay in memory until commit: an upload then costs one write instead
 * of a dozen trips through the thread pool (open, writes, close, rename, and the reads that
 * index it), and the memory held is bounded by the uploads in flight.
 */
export const HELD_BLOB_BYTES = 64 * 1024;

/**
 * Without a journal, small blobs kept are kept in memory up to this many bytes in all (a
 * file of each would cost its creation in the filesystem, ~0.3 ms of CPU); beyond, they go
 * to the temporary folder like large ones.
 */
export const MEMORY_BLOB_BYTES = 64 * 1024 * 1024;

/** The names blobs get: a File id (`file-` + alphanumerics), `.text` for its text, and `.tmp` while being written. */
const BLOB_NAME = /^(file-[A-Za-z0-9]{1,64})(\.text)?(\.tmp)?$/;

/** A blob's name in the folder (and in memory). Ids are server-made (`file-` + alphanumerics); encoded anyway so no id can escape the dir. */
function blobName(id: string, part: BlobPart): string {
  return encodeURIComponent(id) + (part === 'text' ? '.text' : '');
}

async function privateFolder(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await chmod(dir, PRIVATE_DIR_MODE);
  return dir;
}

export class BlobStore {
  private folder: Promise<string> | undefined;
  /** Small blobs kept in memory (no journal), by their name in the folder; and their bytes in all. */
  private readonly memory = new Map<string, Buffer>();
  private memoryBytes = 0;

  /** `dir` for blobs kept beside the journal; none for a temporary folder. */
  constructor(private readonly dir?: string) {}

  /** Whether blobs outlive the process (`--data`). */
  get persistent(): boolean {
    return this.dir !== undefined;
  }

  /** The folder, made on first use: private (0700), even one an older version left open. */
  private location(): Promise<string> {
    this.folder ??= (this.dir === undefined ? mkdtemp(join(tmpdir(), 'assistants-serve-')) : privateFolder(this.dir)).catch(
      (error: unknown) => {
        this.folder = undefined;
        throw error;
      },
    );
    return this.folder;
  }

  private async path(id: string, part: BlobPart = 'content'): Promise<string> {
    return join(await this.location(), blobName(id, part));
  }

  /** Starts a blob; nothing is visible until `commit()` (which makes it durable). */
  create(id: string, part: BlobPart = 'content'): BlobWriter {
    // The folder beside a journal exists from the first upload on, kept or not (its error, if any, surfaces at commit).
    if (this.persistent) this.location().catch(() => undefined);
    /** The bytes while they fit in HELD_BLOB_BYTES; null once they went to the temp file. */
    let held: Buffer[] | null = [];
    let handle: Promise<FileHandle> | undefined;
    let size = 0;
    const tempPath = async (): Promise<string> => `${await this.path(id, part)}.tmp`;
    /** The temp file, with the held bytes moved into it. */
    const file = (): Promise<FileHandle> =>
      (handle ??= tempPath().then(async (path) => {
        const fh = await open(path, 'w', PRIVATE_FILE_MODE);
        const bytes = Buffer.concat(held ?? []);
        held = null;
        try {
          if (bytes.length > 0) await fh.write(bytes);
        } catch (error) {
          await fh.close().catch(() => undefined);
          throw error;
        }
        return fh;
      }));
    const heldBytes = (): Buffer | undefined => {
      if (held === null) return undefined;
      if (held.length !== 1) held = [Buffer.concat(held)];
      return held[0];
    };
    return {
      write: async (chunk) => {
        if (held !== null && size + chunk.length <= HELD_BLOB_BYTES) {
          held.push(chunk);
        } else {
          await (await file()).write(chunk);
        }
        size += chunk.length;
      },
      get bytesWritten() {
        return size;
      },
      held: heldBytes,
      pendingPath: async () => {
        await file();
        return tempPath();
      },
      commit: async () => {
        // Beside a journal, held bytes take the durable path below (file() writes them with one call).
        const bytes = handle === undefined && !this.persistent ? heldBytes() : undefined;
        if (bytes !== undefined) {
          held = null;
          await this.keepTemporary(id, part, bytes);
          return size;
        }
        const fh = await file();
        // Durable only where it outlives the process: a temporary folder needs no fsync.
        if (this.persistent) await fh.sync();
        await fh.close();
        const path = await this.path(id, part);
        await rename(`${path}.tmp`, path);
        if (this.persistent) await syncDirectory(await this.location());
        return size;
      },
      abort: async () => {
        held = null;
        // Held bytes never reached the disk: nothing to remove.
        if (handle === undefined) return;
        await (await handle.catch(() => undefined))?.close().catch(() => undefined);
        await rm(await tempPath(), { force: true });
      },
    };
  }

  /**
   * Keeps a held blob where nothing outlives the process: in memory while there is room
   * (MEMORY_BLOB_BYTES), else with one write to the temporary folder.
   */
  private async keepTemporary(id: string, part: BlobPart, bytes: Buffer): Promise<void> {
    const name = blobName(id, part);
    if (this.memoryBytes + bytes.length <= MEMORY_BLOB_BYTES) {
      this.forget(name);
      this.memory.set(name, bytes);
      this.memoryBytes += bytes.length;
    } else {
      await writeFile(await this.path(id, part), bytes, { mode: PRIVATE_FILE_MODE });
    }
  }

  /** Drops a blob kept in memory; whether there was one. */
  private forget(name: string): boolean {
    const bytes = this.memory.get(name);
    if (bytes === undefined) return false;
    this.memory.delete(name);
    this.memoryBytes -= bytes.length;
    return true;
  }

  /** The blob for reading, or undefined when there is none. */
  async open(id: string, part: BlobPart = 'content'): Promise<BlobReader | undefined> {
    const kept = this.memory.get(blobName(id, part));
    if (kept !== undefined) return { size: kept.length, stream: Readable.from([kept], { objectMode: false }) };
    if (this.folder === undefined && this.dir === undefined) return undefined;
    let fh: FileHandle;
    try {
      fh = await open(await this.path(id, part), 'r');
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT')) return undefined;
      throw error;
    }
    try {
      const { size } = await fh.stat();
      // The stream owns the handle from here: it closes it when it ends or is destroyed.
      return { size, stream: fh.createReadStream() };
    } catch (error) {
      await fh.close();
      throw error;
    }
  }

  /** Where a File's content is on disk, or undefined when it has none there (a store without a journal may keep it in memory). */
  async contentPath(id: string): Promise<string | undefined> {
    if (this.folder === undefined && this.dir === undefined) return undefined;
    const path = await this.path(id);
    try {
      await access(path);
      return path;
    } catch {
      return undefined;
    }
  }

  /** Removes a File's content and its text. */
  async remove(id: string): Promise<void> {
    this.forget(blobName(id, 'text'));
    this.forget(blobName(id, 'content'));
    if (this.folder === undefined && this.dir === undefined) return;
    await rm(await this.path(id, 'text'), { force: true });
    await rm(await this.path(id), { force: true });
  }

  /**
   * Deletes every committed blob. Uploads in flight keep their temp files: they learn of
   * the reset themselves (Store.reset) rather than fail on a vanished file.
   */
  async clear(): Promise<void> {
    this.memory.clear();
    this.memoryBytes = 0;
    await this.removeWhere((_id, temp) => !temp);
  }

  /**
   * Removes blobs no record refers to, and temp files (left by a crash between a blob and
   * its record). Call at start, before any upload.
   */
  async prune(keep: (id: string) => boolean): Promise<void> {
    // A folder an older version made 0755 becomes private now, not at the next upload.
    if (this.dir !== undefined) await chmod(this.dir, PRIVATE_DIR_MODE).catch(() => undefined);
    await this.removeWhere((id, temp) => temp || !keep(id));
  }

  /** Removes the temporary folder; blobs beside a journal stay. */
  async close(): Promise<void> {
    this.memory.clear();
    this.memoryBytes = 0;
    if (this.dir !== undefined || this.folder === undefined) return;
    const folder = await this.folder.catch(() => undefined);
    this.folder = undefined;
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
  }

  /** Only names the server makes are touched: a stray file or folder is left alone. */
  private async removeWhere(remove: (id: string, temp: boolean) => boolean): Promise<void> {
    const folder = this.dir ?? (this.folder ? await this.folder.catch(() => undefined) : undefined);
    if (folder === undefined) return;
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT')) return;
      throw error;
    }
    for (const name of names) {
      const ours = BLOB_NAME.exec(name);
      if (!ours || !remove(ours[1] as string, ours[3] !== undefined)) continue;
      // A folder that happens to carry such a name is not ours either.
      await rm(join(folder, name)).catch(() => undefined);
    }
  }
}
