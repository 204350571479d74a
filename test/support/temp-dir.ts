/**
 * Temp folders for tests. Every folder made here is removed when its test file ends (the
 * setup file `remove-temp-dirs.ts` runs `removeTempDirs` after all of a file's hooks), or
 * earlier with `cleanup()`. The run's temp root is checked for anything left behind by
 * other means (`temp-guard.ts`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();

export interface TempDir {
  dir: string;
  cleanup(): Promise<void>;
}

export async function makeTempDir(prefix = 'assistants-test-'): Promise<TempDir> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.add(dir);
  return {
    dir,
    async cleanup() {
      made.delete(dir);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Removes every folder `makeTempDir` made in this test file and not yet cleaned up. */
export async function removeTempDirs(): Promise<void> {
  const dirs = [...made];
  made.clear();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
}
