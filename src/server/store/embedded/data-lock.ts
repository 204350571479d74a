/**
 * One server per data file: `<dataFile>.lock` names the process using it (pid, host, what
 * it is, since when). A lock held by a live process is refused with a DataInUseError that
 * names it; one left by a dead process (kill -9) is taken over.
 */
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isErrnoCode, PRIVATE_FILE_MODE } from './durable-fs.js';

/** Who holds a data file, as its lock file says (older lock files hold only the pid). */
export interface DataHolder {
  pid: number;
  /** What uses the data, e.g. "assistants serve" or "assistants apply"; null when not recorded. */
  label: string | null;
  /** ISO time it was taken; null when not recorded. */
  since: string | null;
}

/** The data file is in use by another live process (or another server in this one). */
export class DataInUseError extends Error {
  override readonly name = 'DataInUseError';
  constructor(
    readonly dataFile: string,
    readonly holder: DataHolder,
  ) {
    super(`${dataFile} is in use by ${describeDataHolder(holder)}; stop it or use another data file`);
  }
}

export function describeDataHolder(holder: DataHolder): string {
  return `${holder.label ?? 'another server'} (pid ${holder.pid}${holder.since ? ` since ${holder.since}` : ''})`;
}

/** Data files locked by stores of this process (the lock file's pid cannot tell them apart). */
const lockedHere = new Map<string, DataHolder>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isErrnoCode(error, 'EPERM');
  }
}

function parseHolder(text: string): DataHolder | null {
  const bare = Number(text.trim());
  if (Number.isInteger(bare) && bare > 0) return { pid: bare, label: null, since: null };
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    if (!Number.isInteger(value.pid) || (value.pid as number) <= 0) return null;
    return {
      pid: value.pid as number,
      label: typeof value.label === 'string' ? value.label.slice(0, 200) : null,
      since: typeof value.since === 'string' ? value.since.slice(0, 40) : null,
    };
  } catch {
    return null;
  }
}

/** Takes `<dataFile>.lock` for this process, `label` saying what uses the data. */
export async function acquireLock(dataFile: string, label: string | null = null): Promise<void> {
  const lockFile = `${dataFile}.lock`;
  const inProcess = lockedHere.get(lockFile);
  if (inProcess) throw new DataInUseError(dataFile, inProcess);
  const mine: DataHolder = { pid: process.pid, label, since: new Date().toISOString() };
  for (;;) {
    // Written aside and linked into place: nobody ever reads a half-written lock.
    const temp = `${lockFile}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify({ ...mine, host: hostname() })}\n`, { mode: PRIVATE_FILE_MODE });
    try {
      await link(temp, lockFile);
      lockedHere.set(lockFile, mine);
      return;
    } catch (error) {
      if (!isErrnoCode(error, 'EEXIST')) throw error;
    } finally {
      await rm(temp, { force: true });
    }
    const holder = parseHolder(await readFile(lockFile, 'utf8').catch(() => ''));
    if (holder !== null && holder.pid !== process.pid && processAlive(holder.pid)) throw new DataInUseError(dataFile, holder);
    await rm(lockFile, { force: true });
  }
}

export async function releaseLock(dataFile: string): Promise<void> {
  const lockFile = `${dataFile}.lock`;
  lockedHere.delete(lockFile);
  await rm(lockFile, { force: true });
}
