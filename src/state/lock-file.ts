/**
 * A lock as a file beside the state. Taking it is an atomic exclusive create: the holder
 * record is written and fsynced to a temp file, then hard-linked to the lock path, which
 * fails if a lock exists (O_EXCL semantics, and no reader ever sees a half-written lock).
 * Every removal of the lock file (release, takeover of a dead holder's lock, force-unlock)
 * happens under a short-lived guard file and only after re-reading the lock's id, so a
 * lock is never removed by someone who meant to remove another one.
 */
import { link, readFile, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../errors.js';
import { createDurable, ensurePrivateDir, fsyncDir, tempPathFor } from '../atomic-file.js';
import type { ForceUnlockOptions, LockInfo, LockRequest, StateLock } from './backend.js';
import { describeHolder, holderIsGone, holderIsRunningHere, holderRunningError, interruptedWaitingError, isLockInfo, lockHeldError, newLockInfo } from './lock-holder.js';

/** A guard older than this was left by a process that died mid-takeover. */
const GUARD_STALE_MS = 30_000;
const FIRST_POLL_MS = 50;
const MAX_POLL_MS = 1_000;

/** The lock's holder, or null when there is no lock file. */
export async function readLockFile(lockPath: string): Promise<LockInfo | null> {
  let text: string;
  try {
    text = await readFile(lockPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!isLockInfo(parsed)) {
    throw new UserError('STATE', `${lockPath}: unreadable lock file; if no assistants command is running, delete it`);
  }
  return parsed;
}

/** Creates `path` holding `info` unless it exists; true when created. */
async function createExclusive(path: string, info: LockInfo): Promise<boolean> {
  const temp = tempPathFor(path);
  await createDurable(temp, `${JSON.stringify(info, null, 2)}\n`);
  try {
    await link(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
  await fsyncDir(dirname(path));
  return true;
}

/** A guard whose holder died (same host), or that is older than any takeover takes. */
async function guardAbandoned(guardPath: string): Promise<boolean> {
  const holder = await readLockFile(guardPath).catch(() => null);
  if (holder !== null && holderIsGone(holder)) return true;
  const info = await stat(guardPath).catch(() => null);
  return info !== null && Date.now() - info.mtimeMs > GUARD_STALE_MS;
}

/** Runs `critical` holding the guard beside `lockPath`; waits (briefly) for another holder. */
async function withGuard<T>(lockPath: string, command: string, critical: () => Promise<T>): Promise<T> {
  const guardPath = `${lockPath}.guard`;
  const guard = newLockInfo(command);
  while (!(await createExclusive(guardPath, guard))) {
    if (await guardAbandoned(guardPath)) await rm(guardPath, { force: true });
    else await sleep(5);
  }
  try {
    return await critical();
  } finally {
    await rm(guardPath, { force: true });
  }
}

/** Removes the lock file if it still holds lock `id`; the holder it removed, or null. */
async function removeIfHeldBy(lockPath: string, id: string, command: string): Promise<LockInfo | null> {
  return withGuard(lockPath, command, async () => {
    const current = await readLockFile(lockPath);
    if (current?.id !== id) return null;
    await rm(lockPath, { force: true });
    await fsyncDir(dirname(lockPath));
    return current;
  });
}

function lockHandle(lockPath: string, info: LockInfo, notice: string | null): StateLock {
  let released: Promise<void> | undefined;
  return {
    info,
    notice,
    release() {
      released ??= removeIfHeldBy(lockPath, info.id, info.command).then(() => undefined);
      return released;
    },
  };
}

/**
 * Takes the lock at `lockPath`, polling with backoff up to `timeoutMs` while another
 * live process holds it. A lock whose holder is gone (same host, dead pid) is taken
 * over, and the handle's `notice` says so.
 */
export async function acquireLockFile(lockPath: string, request: LockRequest): Promise<StateLock> {
  await ensurePrivateDir(dirname(lockPath));
  const deadline = Date.now() + (request.timeoutMs ?? 0);
  let delay = FIRST_POLL_MS;
  let waiting = false;
  for (;;) {
    const info = newLockInfo(request.command);
    if (await createExclusive(lockPath, info)) return lockHandle(lockPath, info, null);
    const holder = await readLockFile(lockPath);
    if (holder === null) continue;
    if (holderIsGone(holder)) {
      const removed = await removeIfHeldBy(lockPath, holder.id, request.command);
      if (removed !== null && (await createExclusive(lockPath, info))) {
        const notice = `Took over the state lock left by ${describeHolder(holder)}: that process is gone.`;
        return lockHandle(lockPath, info, notice);
      }
      continue;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw lockHeldError(holder);
    if (!waiting) request.onWait?.(holder);
    waiting = true;
    await sleep(Math.min(delay, remaining), undefined, request.signal ? { signal: request.signal } : undefined).catch(() => {
      throw interruptedWaitingError(describeHolder(holder));
    });
    delay = Math.min(Math.round(delay * 1.5), MAX_POLL_MS);
  }
}

/**
 * Removes the lock at `lockPath` if its id is `id`; returns who held it. Refuses while the
 * holder still runs on this host (removing its lock would let a second command run beside
 * it), unless `force`.
 */
export async function forceUnlockFile(lockPath: string, id: string, options: ForceUnlockOptions = {}): Promise<LockInfo> {
  const holder = await readLockFile(lockPath);
  if (holder === null) throw new UserError('STATE', `${lockPath}: there is no lock to remove`);
  if (holder.id !== id) {
    throw new UserError(
      'STATE',
      `${lockPath}: the lock's ID is ${holder.id} (held by ${describeHolder(holder)}), not ${id}; nothing was removed`,
    );
  }
  if (!options.force && holderIsRunningHere(holder)) throw holderRunningError(lockPath, holder, 'on this host', 'to remove the lock anyway');
  const removed = await removeIfHeldBy(lockPath, id, 'force-unlock');
  if (removed === null) throw new UserError('STATE', `${lockPath}: lock ${id} was released while unlocking`);
  return removed;
}
