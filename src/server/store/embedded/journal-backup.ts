/**
 * The backup `serve --repair` keeps before it drops corrupt journal lines:
 * `<dataFile>.backup-<UTC time>/` with `journal.jsonl` (the journal as it was) and
 * `blobs/` (every upload; hard links, so nothing is copied when the disk allows). To undo
 * a repair: stop the server, move `journal.jsonl` back to `<dataFile>` and `blobs/` to
 * `<dataFile>.blobs/`.
 */
import type { Dirent } from 'node:fs';
import { chmod, copyFile, link, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrnoCode, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './durable-fs.js';

export async function backUpJournal(dataFile: string, blobsDir: string, now: Date = new Date()): Promise<string> {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const backup = `${dataFile}.backup-${stamp}`;
  await mkdir(join(backup, 'blobs'), { recursive: true, mode: PRIVATE_DIR_MODE });
  await copyFile(dataFile, join(backup, 'journal.jsonl'));
  await chmod(join(backup, 'journal.jsonl'), PRIVATE_FILE_MODE);
  let entries: Dirent[] = [];
  try {
    entries = await readdir(blobsDir, { withFileTypes: true });
  } catch (error) {
    if (!isErrnoCode(error, 'ENOENT')) throw error;
  }
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const from = join(blobsDir, entry.name);
    const to = join(backup, 'blobs', entry.name);
    // A hard link costs nothing; a file system without them gets a copy.
    await link(from, to).catch(() => copyFile(from, to));
  }
  return backup;
}
