/**
 * The default backend: one JSON file per environment, with beside it `<path>.backup`
 * (the previous version), `<path>.lock` and `<path>.journal` (JSON lines). All 0600.
 */
import { readdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UserError } from '../errors.js';
import { readIfExists, writeFileAtomic } from '../atomic-file.js';
import type { ForceUnlockOptions, JournalRead, LockInfo, LockRequest, StateBackend, StateHistory, StateLock, WriteOptions } from './backend.js';
import { parseState, serializeState } from './format.js';
import { JournalFile } from './journal-file.js';
import type { JournalEntry } from './journal.js';
import { acquireLockFile, forceUnlockFile } from './lock-file.js';
import { stateProblem } from './schema.js';
import type { StateFile } from './types.js';

export interface LocalBackendPaths {
  state: string;
  backup: string;
  lock: string;
  journal: string;
}

/** The files a local backend at `statePath` uses. */
export function localBackendPaths(statePath: string): LocalBackendPaths {
  return {
    state: statePath,
    backup: `${statePath}.backup`,
    lock: `${statePath}.lock`,
    journal: `${statePath}.journal`,
  };
}

export class LocalStateBackend implements StateBackend {
  readonly paths: LocalBackendPaths;
  /** The file keeps only the previous version (`.backup`), not every serial. */
  readonly history: StateHistory | null = null;
  private readonly journal: JournalFile;

  /** `statePath` should be absolute (see `resolveStatePath`). */
  constructor(statePath: string) {
    this.paths = localBackendPaths(statePath);
    this.journal = new JournalFile(this.paths.journal);
  }

  get location(): string {
    return this.paths.state;
  }

  async read(): Promise<StateFile | null> {
    const text = await readIfExists(this.paths.state);
    return text === null ? null : parseState(text, this.paths.state);
  }

  /**
   * The file is read once: checked against `state`, then kept as the backup (at 10,000
   * assistants it is ~20 MB, and reading it twice raised apply's peak memory).
   */
  async write(state: StateFile, options: WriteOptions = {}): Promise<StateFile> {
    const text = await readIfExists(this.paths.state);
    if (options.replace) return this.replace(state, text);
    const stored = text === null ? null : parseState(text, this.paths.state);
    if (stored !== null && stored.lineage !== state.lineage) {
      throw new UserError(
        'STATE',
        `${this.paths.state}: refusing to overwrite a state of lineage ${stored.lineage} with one of lineage ${state.lineage}`,
      );
    }
    if (stored !== null && state.serial < stored.serial) {
      throw new UserError(
        'STATE',
        `${this.paths.state}: the state changed since it was read (serial ${state.serial}, now ${stored.serial}); run the command again`,
      );
    }
    return this.persist({ ...state, serial: state.serial + 1 }, text);
  }

  /** Writes over whatever is stored (`text`), even an unreadable file, with a serial above both. */
  private async replace(state: StateFile, text: string | null): Promise<StateFile> {
    let stored: StateFile | null = null;
    try {
      stored = text === null ? null : parseState(text, this.paths.state);
    } catch {
      // Unreadable: replaced all the same.
    }
    return this.persist({ ...state, serial: Math.max(state.serial, stored?.serial ?? 0) + 1 }, text);
  }

  /** `previous`: the file's text as read before (it becomes the backup). */
  private async persist(next: StateFile, previous: string | null): Promise<StateFile> {
    const problem = stateProblem(next);
    if (problem !== null) throw new Error(`refusing to write an invalid state to ${this.paths.state}: ${problem}`);
    await writeFileAtomic(this.paths.state, serializeState(next), { backupPath: this.paths.backup, previous });
    return next;
  }

  lock(request: LockRequest): Promise<StateLock> {
    return acquireLockFile(this.paths.lock, request);
  }

  forceUnlock(id: string, options?: ForceUnlockOptions): Promise<LockInfo> {
    return forceUnlockFile(this.paths.lock, id, options);
  }

  appendJournal(entry: JournalEntry): Promise<void> {
    return this.journal.append(entry);
  }

  readJournal(): Promise<JournalRead> {
    return this.journal.read();
  }

  clearJournal(): Promise<void> {
    return this.journal.clear();
  }

  /** The state file last: a delete cut short leaves a state, which names the leftover. */
  async delete(): Promise<void> {
    for (const path of [this.paths.journal, this.paths.backup, this.paths.state]) await rm(path, { force: true });
  }

  /** The `NAME.json` files in the state file's folder (`.assistants/state/` unless --state moved it). */
  async environments(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(dirname(this.paths.state));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names.filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -'.json'.length)).sort();
  }

  /** The journal, which stays open between appends. */
  close(): Promise<void> {
    return this.journal.close();
  }
}
