/**
 * Uploaded file contents, one file per blob in a folder: beside the journal with
 * `--data`, else in a private folder under the OS temp dir, made on first upload and
 * removed on close. Either way an upload goes to disk as it arrives and a download is
 * streamed from it, so no file content is ever held in memory whole. A blob is written to
 * a temp file, fsynced and renamed on commit.
 */
import type { ReadStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isErrnoCode, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, syncDirectory } from './durable-fs.js';

export interface BlobWriter {
  write(chunk: Buffer): Promise<void>;
  /** Finishes the blob and returns its size in bytes. */
  commit(): Promise<number>;
  abort(): Promise<void>;
}

/** A blob opened for reading: its size, and a stream of its bytes (to be consumed or destroyed). */
export interface BlobReader {
  size: number;
  stream: ReadStream;
}

/** The names blobs get: a File id (`file-` + alphanumerics), and `.tmp` while being written. */
const BLOB_NAME = /^(file-[A-Za-z0-9]{1,64})(\.tmp)?$/;

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

  private async path(id: string): Promise<string> {
    // Ids are server-made (`file-` + alphanumerics); encode anyway so no id can escape the dir.
    return join(await this.location(), encodeURIComponent(id));
  }

  /** Starts a blob; nothing is visible until `commit()` (which makes it durable). */
  create(id: string): BlobWriter {
    let handle: Promise<FileHandle> | undefined;
    let size = 0;
    const file = (): Promise<FileHandle> => (handle ??= this.path(id).then((path) => open(`${path}.tmp`, 'w', PRIVATE_FILE_MODE)));
    return {
      write: async (chunk) => {
        const fh = await file();
        await fh.write(chunk);
        size += chunk.length;
      },
      commit: async () => {
        const fh = await file();
        await fh.sync();
        await fh.close();
        const path = await this.path(id);
        await rename(`${path}.tmp`, path);
        await syncDirectory(await this.location());
        return size;
      },
      abort: async () => {
        if (handle) await (await handle).close().catch(() => undefined);
        await rm(`${await this.path(id)}.tmp`, { force: true });
      },
    };
  }

  /** The blob for reading, or undefined when there is none. */
  async open(id: string): Promise<BlobReader | undefined> {
    if (this.folder === undefined && this.dir === undefined) return undefined;
    let fh: FileHandle;
    try {
      fh = await open(await this.path(id), 'r');
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

  async remove(id: string): Promise<void> {
    if (this.folder === undefined && this.dir === undefined) return;
    await rm(await this.path(id), { force: true });
  }

  /** Deletes every blob (and, for a temporary folder, the folder). */
  async clear(): Promise<void> {
    const folder = this.dir ?? (this.folder ? await this.folder.catch(() => undefined) : undefined);
    this.folder = undefined;
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
  }

  /**
   * Removes blobs no record refers to (left by a crash between a blob and its record).
   * Only names the server makes are touched: a stray file or folder is left alone.
   */
  async prune(keep: (id: string) => boolean): Promise<void> {
    if (this.dir === undefined) return;
    let names: string[];
    try {
      names = await readdir(await this.location());
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT')) return;
      throw error;
    }
    for (const name of names) {
      const ours = BLOB_NAME.exec(name);
      if (!ours || (ours[2] === undefined && keep(ours[1] as string))) continue;
      // A folder that happens to carry such a name is not ours either.
      await rm(join(this.dir, name)).catch(() => undefined);
    }
  }

  /** Removes a temporary folder; blobs beside a journal stay. */
  async close(): Promise<void> {
    if (this.dir === undefined) await this.clear();
  }
}
