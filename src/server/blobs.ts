/**
 * Uploaded file contents: in memory, or one file per blob in a directory (written to a
 * temp file, fsynced and renamed on commit). The store owns one; see Store.blobs.
 */
import { mkdir, open, readFile, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrnoCode, syncDirectory } from './durable-fs.js';

/** Where uploaded file contents go: memory, or one file each beside the journal. */
export interface BlobStore {
  /** Starts a blob; nothing is visible until `commit()` (which makes it durable). */
  create(id: string): BlobWriter;
  read(id: string): Promise<Buffer | undefined>;
  remove(id: string): Promise<void>;
  clear(): Promise<void>;
}

export interface BlobWriter {
  write(chunk: Buffer): Promise<void>;
  /** Finishes the blob and returns its size in bytes. */
  commit(): Promise<number>;
  abort(): Promise<void>;
}

export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Buffer>();

  create(id: string): BlobWriter {
    const chunks: Buffer[] = [];
    return {
      write: async (chunk) => {
        chunks.push(chunk);
      },
      commit: async () => {
        const data = Buffer.concat(chunks);
        this.blobs.set(id, data);
        return data.length;
      },
      abort: async () => {
        chunks.length = 0;
      },
    };
  }

  async read(id: string): Promise<Buffer | undefined> {
    return this.blobs.get(id);
  }

  async remove(id: string): Promise<void> {
    this.blobs.delete(id);
  }

  async clear(): Promise<void> {
    this.blobs.clear();
  }
}

export class DirectoryBlobStore implements BlobStore {
  constructor(private readonly dir: string) {}

  private path(id: string): string {
    // Ids are server-made (`file-` + alphanumerics); encode anyway so no id can escape the dir.
    return join(this.dir, encodeURIComponent(id));
  }

  create(id: string): BlobWriter {
    const temp = `${this.path(id)}.tmp`;
    let handle: Promise<FileHandle> | undefined;
    let size = 0;
    const file = (): Promise<FileHandle> => (handle ??= mkdir(this.dir, { recursive: true }).then(() => open(temp, 'w')));
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
        await rename(temp, this.path(id));
        await syncDirectory(this.dir);
        return size;
      },
      abort: async () => {
        if (handle) await (await handle).close().catch(() => undefined);
        await rm(temp, { force: true });
      },
    };
  }

  async read(id: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path(id));
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT')) return undefined;
      throw error;
    }
  }

  async remove(id: string): Promise<void> {
    await rm(this.path(id), { force: true });
  }

  async clear(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Removes blobs no record refers to (left by a crash between a blob and its record). */
  async prune(keep: (id: string) => boolean): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT')) return;
      throw error;
    }
    for (const name of names) {
      const id = decodeURIComponent(name);
      if (name.endsWith('.tmp') || !keep(id)) await rm(join(this.dir, name), { force: true });
    }
  }
}

