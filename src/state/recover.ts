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
 * must hold the lock. With no journal, only reads the state. `finish` makes a last change
 * in the same write (the release records of a successful apply), or returns null for none.
 */
export async function replayJournal(backend: StateBackend, finish?: (state: StateFile) => StateFile | null): Promise<Replay> {
  const stored = await backend.read();
  const { entries, tornTail } = await backend.readJournal();
  if (entries.length === 0) {
    if (tornTail) await backend.clearJournal();
    const finished = stored === null ? null : (finish?.(stored) ?? null);
    return { state: finished === null ? stored : await backend.write(finished), replayed: 0, tornTail };
  }
  if (stored === null) {
    throw new UserError(
      'STATE',
      `${backend.location}: a journal of ${entries.length} operation(s) exists but the state does not; restore the state from its backup or run "assistants state rebuild"`,
    );
  }
  const folded = applyJournal(stored, entries);
  const state = await backend.write(finish?.(folded) ?? folded);
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
