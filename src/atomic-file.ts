/**
 * Durable, private file writes: a temp file in the same folder, fsync, rename over the
 * target, fsync the folder. A crash at any point leaves either the old file or the new
 * one, never a mix; an abandoned temp file is never read. Files are 0600, folders 0700.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Makes a rename or an unlink in `dir` durable. Platforms that cannot fsync a folder skip it. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw error;
  } finally {
    await handle?.close();
  }
}

/** A fresh temp path beside `path`, which readers of `path` never look at. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`);
}

/** Creates `path` (which must not exist) with `data`, mode 0600, and fsyncs it. */
export async function createDurable(path: string, data: string): Promise<void> {
  const handle = await open(path, 'wx', PRIVATE_FILE_MODE);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function replaceWith(path: string, data: string): Promise<void> {
  const temp = tempPathFor(path);
  try {
    await createDurable(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** The file's text, or null when it does not exist. */
export async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Replaces `path` with `data` atomically. With `backupPath`, the previous content (if
 * any) is first written the same way to `backupPath`; `previous` is that content when the
 * caller already read it (null: there is none), so a large file is not read twice.
 */
export async function writeFileAtomic(path: string, data: string, options: { backupPath?: string; previous?: string | null } = {}): Promise<void> {
  const dir = dirname(path);
  await ensurePrivateDir(dir);
  if (options.backupPath !== undefined) {
    const previous = options.previous !== undefined ? options.previous : await readIfExists(path);
    if (previous !== null) await replaceWith(options.backupPath, previous);
  }
  await replaceWith(path, data);
  await fsyncDir(dir);
}
