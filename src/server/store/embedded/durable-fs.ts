/** Filesystem helpers for durable, private writes: modes, errno checks, fsync of a directory entry. */
import { open } from 'node:fs/promises';

/** Files that hold data (the journal, uploads, the lock) are readable by their owner only... */
export const PRIVATE_FILE_MODE = 0o600;
/** ...in folders only their owner can list. */
export const PRIVATE_DIR_MODE = 0o700;

export function isErrnoCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

/** Makes a rename or a new file in `dir` durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
