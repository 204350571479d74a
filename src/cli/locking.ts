/**
 * Runs a state-changing command under the state lock: takes it (waiting up to
 * --lock-timeout), replays a journal left by a dead process, and always releases it.
 */
import type { StateBackend } from '../state/backend.js';
import { replayJournal } from '../state/recover.js';
import type { StateFile } from '../state/types.js';
import type { CliIo } from './io.js';

export async function withStateLock<T>(
  backend: StateBackend,
  command: string,
  timeoutMs: number,
  io: CliIo,
  work: (state: StateFile | null) => Promise<T>,
): Promise<T> {
  const lock = await backend.lock({ command, timeoutMs, signal: io.interrupts.stop });
  try {
    if (lock.notice) io.stderr.write(`${lock.notice}\n`);
    const replay = await replayJournal(backend);
    if (replay.replayed > 0) {
      io.stderr.write(`Recovered ${replay.replayed} operation(s) recorded by an apply that did not finish; the state now includes them.\n`);
    }
    return await work(replay.state);
  } finally {
    await lock.release();
  }
}
