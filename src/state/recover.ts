/**
 * Replaying a journal left behind by a process that died before folding it: run this
 * right after taking the lock, before reading the state for anything else.
 */
import { UserError } from '../errors.js';
import type { StateBackend } from './backend.js';
import { applyJournal } from './journal.js';
import type { StateFile } from './types.js';

export interface Replay {
  /** The stored state with the journal folded in; null when there is no state. */
  state: StateFile | null;
  /** How many journal entries were folded in (0: the journal was empty). */
  replayed: number;
  /** The journal's last line was cut short and ignored. */
  tornTail: boolean;
}

/**
 * Folds a leftover journal into the state, writes it and clears the journal. The caller
 * must hold the lock. With no journal, only reads the state.
 */
export async function replayJournal(backend: StateBackend): Promise<Replay> {
  const stored = await backend.read();
  const { entries, tornTail } = await backend.readJournal();
  if (entries.length === 0) {
    if (tornTail) await backend.clearJournal();
    return { state: stored, replayed: 0, tornTail };
  }
  if (stored === null) {
    throw new UserError(
      'STATE',
      `${backend.location}: a journal of ${entries.length} operation(s) exists but the state does not; restore the state from its backup or run "assistants state rebuild"`,
    );
  }
  const state = await backend.write(applyJournal(stored, entries));
  await backend.clearJournal();
  return { state, replayed: entries.length, tornTail };
}

/** The state as it stands, journal included, without writing anything (for read-only commands). */
export async function readWithJournal(backend: StateBackend): Promise<StateFile | null> {
  const stored = await backend.read();
  if (stored === null) return null;
  const { entries } = await backend.readJournal();
  return entries.length === 0 ? stored : applyJournal(stored, entries);
}
