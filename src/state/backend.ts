/**
 * The state backend contract. The applier and the commands talk only to this, so a
 * shared backend (PostgreSQL) can replace the local file without touching them. Every
 * backend runs `test/state/backend-conformance.ts`.
 *
 * Locking: backends do not check the lock on write; every command that changes state takes
 * `lock()` first and releases it on every exit path (release is idempotent).
 *
 * Serial: `write(state)` takes the state as read (and changed) by the caller and persists
 * it with `serial + 1`, returning what it wrote. It refuses a state of another lineage, or
 * one whose serial is behind the stored one (the caller worked from an outdated read).
 * `write(state, { replace: true })` (state push/pull --force) skips both checks and writes
 * a serial above every one stored.
 *
 * Journal: `appendJournal` is durable when its promise resolves, costs O(1) whatever the
 * state's size, and never rewrites the state. Write the state once (serial >= 1) before
 * the first append, so a replay always has a state to fold into. After folding the
 * journal into a written state, `clearJournal()`; replaying an already-folded journal is
 * harmless (`applyJournal` is idempotent). Any command that takes the lock replays a
 * leftover journal first (`replayJournal` in `recover.ts`).
 */
import type { JournalEntry } from './journal.js';
import type { StateFile } from './types.js';

/** Who holds a lock, as recorded in it. */
export interface LockInfo {
  id: string;
  pid: number;
  host: string;
  /** The command that took it, e.g. "apply". */
  command: string;
  /** ISO time. */
  createdAt: string;
  /** The user name of the holding process. */
  who: string;
}

export interface LockRequest {
  /** The command taking the lock, shown to whoever finds it held. */
  command: string;
  /** How long to wait for a held lock; 0 (default) fails at once. */
  timeoutMs?: number;
  /** Gives up waiting (UserError('INTERRUPTED')) when aborted: a Ctrl-C. */
  signal?: AbortSignal;
  /** Called once, with the holder, when the lock is held and the request starts waiting. */
  onWait?: (holder: LockInfo) => void;
}

export interface ForceUnlockOptions {
  /**
   * Remove the lock even though its holder is known to still run: a live process on this
   * host (local file), or a database session still holding the lock (PostgreSQL, which
   * ends that session).
   */
  force?: boolean;
}

export interface WriteOptions {
  /** Overwrite whatever is stored, whatever its lineage and serial (state push/pull --force). */
  replace?: boolean;
}

/** One serial kept in a backend's history. */
export interface HistoryEntry {
  serial: number;
  lineage: string;
  /** ISO time. */
  writtenAt: string;
  /** user@host of the writer. */
  writtenBy: string;
  /** The command that held the lock, when one did. */
  command: string | null;
  assistants: number;
  files: number;
}

/** Every serial written, kept by backends that keep them (PostgreSQL); the local file keeps only `.backup`. */
export interface StateHistory {
  /** Newest first. */
  list(): Promise<HistoryEntry[]>;
  /** The state as written at `serial`; throws UserError('STATE') when it is not kept. */
  read(serial: number): Promise<StateFile>;
  /**
   * Writes the state of `serial` as a new serial (the caller holds the lock). Refuses one of
   * another lineage than the current state. Works when the current state is unreadable.
   */
  rollback(serial: number): Promise<StateFile>;
}

export interface StateLock {
  readonly info: LockInfo;
  /** Set when a lock left by a dead process was taken over: one line for stderr. */
  readonly notice: string | null;
  /** Gives the lock up; calling it again does nothing. */
  release(): Promise<void>;
}

export interface JournalRead {
  entries: JournalEntry[];
  /** A last line cut short (a process killed mid-append) was ignored. */
  tornTail: boolean;
}

export interface StateBackend {
  /** Where the state lives, for messages (a path, a URL without credentials). */
  readonly location: string;
  /** The stored state, or null when none was ever written. */
  read(): Promise<StateFile | null>;
  /** Persists `state` with serial + 1 (see above) and returns what was written. */
  write(state: StateFile, options?: WriteOptions): Promise<StateFile>;
  /** Takes the lock, or throws UserError('LOCK_HELD') naming the holder. */
  lock(request: LockRequest): Promise<StateLock>;
  /**
   * Removes the lock if its id is `id` and returns who held it; throws UserError('STATE')
   * otherwise, and UserError('LOCK_HELD') while the holder is known to run (unless `force`).
   */
  forceUnlock(id: string, options?: ForceUnlockOptions): Promise<LockInfo>;
  /** Every serial written, or null when this backend keeps only the latest. */
  readonly history: StateHistory | null;
  appendJournal(entry: JournalEntry): Promise<void>;
  readJournal(): Promise<JournalRead>;
  clearJournal(): Promise<void>;
  /**
   * Removes this state for good: the state, its journal and every serial kept (the local
   * file's backup too), so that reading it gives null again. The caller holds the lock,
   * whose release removes it. For an environment that is gone: `test --ephemeral` deletes
   * its throwaway environment's state once the environment is destroyed.
   */
  delete(): Promise<void>;
  /**
   * The environments of this state's project that have a state in the same storage, this
   * one included once written; sorted. The local file's: the `NAME.json` files beside it.
   */
  environments(): Promise<string[]>;
  /** Lets go of what the backend holds open (a database connection); idempotent. Release locks first. */
  close(): Promise<void>;
}
