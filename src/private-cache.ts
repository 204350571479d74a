/**
 * The caches beside a manifest's state (`.assistants/cache/`): what a run may remember to
 * save work the next time, and never needs. One is read only when it is a regular file of
 * at most its bound (anything else reads as none, which its owner rebuilds), and written
 * best effort: 0600 in a 0700 folder, atomically, and only where the manifest's
 * `.assistants/` already is (the first apply makes it), so a command that fails, or a plan
 * in a fresh checkout, leaves nothing behind.
 */
import { chmod, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PRIVATE_DIR_MODE, writeFileAtomic } from './atomic-file.js';

/**
 * The cache's text, its JSON (undefined when the text is not JSON: a cache to rewrite), and its
 * own mtime; or null when there is no usable file.
 */
export async function readCacheFile(path: string, maxBytes: number): Promise<{ text: string; data: unknown; mtimeMs: number } | null> {
  let handle;
  try {
    handle = await open(path, 'r');
    const info = await handle.stat();
    if (!info.isFile() || info.size > maxBytes) return null;
    const text = await handle.readFile('utf8');
    return { text, data: parsedOrUndefined(text), mtimeMs: info.mtimeMs };
  } catch {
    return null;
  } finally {
    await handle?.close().catch(() => {});
  }
}

function parsedOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Writes the cache; false when it could not (no `.assistants/` beside it, a read-only folder). Never throws. */
export async function writeCacheFile(path: string, text: string): Promise<boolean> {
  try {
    const folder = dirname(path);
    await mkdir(folder, { mode: PRIVATE_DIR_MODE }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    await chmod(folder, PRIVATE_DIR_MODE);
    await writeFileAtomic(path, text);
    return true;
  } catch {
    return false;
  }
}
