/**
 * Running a state-changing command under the state lock: take it (waiting up to
 * --lock-timeout, and saying whom it waits for), replay a journal left by a dead process,
 * and always release it.
 */
import type { StateBackend } from '../state/backend.js';
import { describeHolder } from '../state/lock-holder.js';
import { replayJournal } from '../state/recover.js';
import type { StateFile } from '../state/types.js';
import type { CliIo } from './io.js';

/** Runs `work` holding the lock, without reading the state (`state rollback` repairs one that cannot be read). */
export async function withLock<T>(backend: StateBackend, command: string, timeoutMs: number, io: CliIo, work: () => Promise<T>): Promise<T> {
  const lock = await backend.lock({
    command,
    timeoutMs,
    signal: io.interrupts.stop,
    onWait: (holder) => io.stderr.write(`State is locked by ${describeHolder(holder)}; waiting up to ${Math.ceil(timeoutMs / 1000)}s for it...\n`),
  });
  try {
    if (lock.notice) io.stderr.write(`${lock.notice}\n`);
    return await work();
  } finally {
    await lock.release();
  }
}

/** Runs `work` holding the lock, with the state as it stands once a leftover journal is folded in. */
export function withStateLock<T>(
  backend: StateBackend,
  command: string,
  timeoutMs: number,
  io: CliIo,
  work: (state: StateFile | null) => Promise<T>,
): Promise<T> {
  return withLock(backend, command, timeoutMs, io, async () => {
    const replay = await replayJournal(backend);
    if (replay.replayed > 0) {
      io.stderr.write(`Recovered ${replay.replayed} operation(s) recorded by a command (apply, import, state rm) that did not finish; the state now includes them.\n`);
    }
    return work(replay.state);
  });
}
