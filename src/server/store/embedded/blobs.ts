/**
 * Uploaded file contents, one file per blob in a folder: beside the journal with
 * `--data`, else in a private folder under the OS temp dir, made on first upload and
 * removed on close. Either way an upload goes to disk as it arrives and a download is
 * streamed from it, so no file content is ever held in memory whole. A blob is written to
 * a temp file, fsynced and renamed on commit.
 */
import type { Readable } from 'node:stream';
import { access, chmod, mkdir, mkdtemp, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isErrnoCode, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, syncDirectory } from './durable-fs.js';

export interface BlobWriter {
  write(chunk: Buffer): Promise<void>;
  /** Bytes written so far. */
  readonly bytesWritten: number;
  /** The file the bytes written so far are in, to read them before `commit()` (to index an upload). */
  pendingPath(): Promise<string>;
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

/** The names blobs get: a File id (`file-` + alphanumerics), `.text` for its text, and `.tmp` while being written. */
const BLOB_NAME = /^(file-[A-Za-z0-9]{1,64})(\.text)?(\.tmp)?$/;

async function privateFolder(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await chmod(dir, PRIVATE_DIR_MODE);
  return dir;
}

export class BlobStore {
  private folder: Promise<string> | undefined;

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
    // Ids are server-made (`file-` + alphanumerics); encode anyway so no id can escape the dir.
    return join(await this.location(), encodeURIComponent(id) + (part === 'text' ? '.text' : ''));
  }

  /** Starts a blob; nothing is visible until `commit()` (which makes it durable). */
  create(id: string, part: BlobPart = 'content'): BlobWriter {
    let handle: Promise<FileHandle> | undefined;
    let size = 0;
    const file = (): Promise<FileHandle> => (handle ??= this.path(id, part).then((path) => open(`${path}.tmp`, 'w', PRIVATE_FILE_MODE)));
    return {
      write: async (chunk) => {
        const fh = await file();
        await fh.write(chunk);
        size += chunk.length;
      },
      get bytesWritten() {
        return size;
      },
      pendingPath: async () => {
        await file();
        return `${await this.path(id, part)}.tmp`;
      },
      commit: async () => {
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
        if (handle) await (await handle).close().catch(() => undefined);
        await rm(`${await this.path(id, part)}.tmp`, { force: true });
      },
    };
  }

  /** The blob for reading, or undefined when there is none. */
  async open(id: string, part: BlobPart = 'content'): Promise<BlobReader | undefined> {
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

  /** Where a File's content is on disk, or undefined when it has none. */
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
    if (this.folder === undefined && this.dir === undefined) return;
    await rm(await this.path(id, 'text'), { force: true });
    await rm(await this.path(id), { force: true });
  }

  /**
   * Deletes every committed blob. Uploads in flight keep their temp files: they learn of
   * the reset themselves (Store.reset) rather than fail on a vanished file.
   */
  async clear(): Promise<void> {
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
