/**
 * One server per data file: `<dataFile>.lock` holds the owner's pid. A lock held by a
 * live process is refused; one left by a dead process (kill -9) is taken over.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { isErrnoCode, PRIVATE_FILE_MODE } from './durable-fs.js';

/** Data files locked by stores of this process (the lock file's pid cannot tell them apart). */
const lockedHere = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isErrnoCode(error, 'EPERM');
  }
}

export async function acquireLock(dataFile: string): Promise<void> {
  const lockFile = `${dataFile}.lock`;
  if (lockedHere.has(lockFile)) throw new Error(`${dataFile} is already in use by another server in this process`);
  for (;;) {
    try {
      const fh = await open(lockFile, 'wx', PRIVATE_FILE_MODE);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      lockedHere.add(lockFile);
      return;
    } catch (error) {
      if (!isErrnoCode(error, 'EEXIST')) throw error;
    }
    const pid = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
      throw new Error(`${dataFile} is in use by another server (pid ${pid}); stop it or use another data file`);
    }
    await rm(lockFile, { force: true });
  }
}

export async function releaseLock(dataFile: string): Promise<void> {
  const lockFile = `${dataFile}.lock`;
  lockedHere.delete(lockFile);
  await rm(lockFile, { force: true });
}

