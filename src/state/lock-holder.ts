/**
 * Who holds a state lock, as every backend records it and as the commands that find it
 * held print it: one wording for the local lock file and the PostgreSQL holder row.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { currentUser } from '../current-user.js';
import { UserError } from '../errors.js';
import type { LockInfo } from './backend.js';

export { currentUser };

/** A fresh holder record for this process. */
export function newLockInfo(command: string): LockInfo {
  return {
    id: randomUUID(),
    pid: process.pid,
    host: hostname(),
    command,
    createdAt: new Date().toISOString(),
    who: currentUser(),
  };
}

export function isLockInfo(value: unknown): value is LockInfo {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['id'] === 'string' &&
    typeof v['pid'] === 'number' &&
    typeof v['host'] === 'string' &&
    typeof v['command'] === 'string' &&
    typeof v['createdAt'] === 'string' &&
    typeof v['who'] === 'string'
  );
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Held by a process on this host that no longer runs. */
export function holderIsGone(info: LockInfo): boolean {
  return info.host === hostname() && !processIsAlive(info.pid);
}

/** Held by a process on this host that still runs (a holder elsewhere cannot be checked). */
export function holderIsRunningHere(info: LockInfo): boolean {
  return info.host === hostname() && processIsAlive(info.pid);
}

export function describeHolder(info: LockInfo): string {
  return `${info.command} (pid ${info.pid} on ${info.host} since ${info.createdAt}, lock ID ${info.id})`;
}

/**
 * force-unlock's refusal while the holder still runs: removing its lock would let a second
 * command run beside it. `how` says how the backend knows; `force` what --force does there.
 */
export function holderRunningError(where: string, info: LockInfo, how: string, force: string): UserError {
  return new UserError(
    'LOCK_HELD',
    `${where}: lock ${info.id} is held by ${describeHolder(info)}, which is still running ${how}; wait for it or stop it, or pass --force ${force}.`,
  );
}

/** A wait for the lock given up at a Ctrl-C; `holder` as `describeHolder` says it. */
export function interruptedWaitingError(holder: string): UserError {
  return new UserError('INTERRUPTED', `Interrupted while waiting for the state lock held by ${holder}; nothing was changed.`);
}

export function lockHeldError(info: LockInfo): UserError {
  return new UserError(
    'LOCK_HELD',
    `State is locked by ${describeHolder(info)}. Wait for it, or if that process is gone run: assistants force-unlock ${info.id}`,
  );
}
