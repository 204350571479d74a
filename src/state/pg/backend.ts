/**
 * The state in PostgreSQL, shared by every CI runner and laptop: one row per (project,
 * environment) in `states`, every serial kept in `state_history`, the journal as rows,
 * and the lock as a session-level advisory lock plus a row naming its holder.
 *
 * - write: a compare-and-set of lineage and serial, the new row and its history row, in
 *   one transaction (serialised per state by a transaction-level advisory lock), so two
 *   writers never both win.
 * - journal: each append is committed before it resolves; appends that arrive while a
 *   commit runs share the next one (one INSERT of many rows).
 * - lock: held by this backend's connection, so it dies with the process or the server
 *   session. Everything done while holding it runs on that connection: once the
 *   connection is lost, every further call fails (the lock is gone, someone else may have
 *   it) until the lock is released; otherwise a lost connection is replaced on next use.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../../errors.js';
import { canonicalJson } from '../../canonical-json.js';
import type { ForceUnlockOptions, HistoryEntry, JournalRead, LockInfo, LockRequest, StateBackend, StateHistory, StateLock, WriteOptions } from '../backend.js';
import { parseStateDocument } from '../format.js';
import { GroupCommit } from '../group-commit.js';
import type { JournalEntry } from '../journal.js';
import { currentUser, describeHolder, holderRunningError, interruptedWaitingError, lockHeldError, newLockInfo } from '../lock-holder.js';
import { journalEntryProblem, stateProblem } from '../schema.js';
import type { StateFile } from '../types.js';
import type { PgConnection } from '../../pg-connection.js';
import { isSessionLost, pgUserError, scrub } from './errors.js';
import { ensureSchema, LOCK_CLASS, lockKey, tablesOf, WRITE_CLASS, type Tables } from './schema.js';
import { PgSession, type Query } from './session.js';

export interface PgBackendOptions {
  connection: PgConnection;
  schema: string;
  project: string;
  environment: string;
  /** Run no DDL: the tables must exist. */
  skipSchemaCreation: boolean;
}

/** How long a lock taker waits for the holder row of a lock it found held (written right after taking it). */
const HOLDER_ROW_GRACE_MS = 1_000;
/** How long force-unlock waits for an ended session to let go of the lock. */
const TERMINATE_WAIT_MS = 10_000;

const REPAIR = '"assistants state history" lists the serials kept, and "assistants state rollback SERIAL" writes one back';

interface StateRow {
  lineage: string;
  serial: string;
  document: unknown;
  written_by: string;
  written_at: Date;
}

interface HolderRow {
  id: string;
  who: string;
  host: string;
  pid: number;
  command: string;
  created_at: Date;
  backend_pid: number;
}

interface Held {
  info: LockInfo;
  session: PgSession;
}

function holderInfo(row: HolderRow): LockInfo {
  return { id: row.id, pid: row.pid, host: row.host, command: row.command, createdAt: row.created_at.toISOString(), who: row.who };
}

export class PgStateBackend implements StateBackend {
  readonly location: string;
  readonly history: StateHistory;
  private readonly tables: Tables;
  /** The state's key in this schema: the same for its lock and its writes. */
  private readonly key: number;
  private readonly scope: [string, string];
  private session: PgSession | null = null;
  private schemaReady = false;
  private held: Held | null = null;
  /** The command of the last lock taken, recorded with each write. */
  private command: string | null = null;
  private readonly journal = new GroupCommit<string>((entries) => this.insertJournal(entries));

  constructor(private readonly options: PgBackendOptions) {
    this.location = `pg ${options.connection.description} schema ${options.schema} state ${options.project}/${options.environment}`;
    this.tables = tablesOf(options.schema);
    this.key = lockKey(options.schema, options.project, options.environment);
    this.scope = [options.project, options.environment];
    this.history = {
      list: () => this.listHistory(),
      read: (serial) => this.readHistory(serial),
      rollback: (serial) => this.rollback(serial),
    };
  }

  /** Connects and checks (or creates) the tables now, so a bad connection fails before anything else. */
  static async open(options: PgBackendOptions): Promise<PgStateBackend> {
    const backend = new PgStateBackend(options);
    await backend.run('connect', async () => undefined);
    return backend;
  }

  read(): Promise<StateFile | null> {
    return this.run('read the state', async (session) => {
      const result = await session.query<StateRow>(
        `SELECT lineage, serial::text, document, written_by, written_at FROM ${this.tables.states} WHERE project = $1 AND environment = $2`,
        this.scope,
      );
      const row = result.rows[0];
      return row === undefined ? null : this.parseRow(row);
    });
  }

  write(state: StateFile, options: WriteOptions = {}): Promise<StateFile> {
    // Checked before the transaction (the serial it will get does not change validity).
    const problem = stateProblem({ ...state, serial: state.serial + 1 });
    if (problem !== null) return Promise.reject(new Error(`refusing to write an invalid state to ${this.location}: ${problem}`));
    return this.run('write the state', (session) => session.transaction((q) => this.writeIn(q, state, options.replace === true)));
  }

  async lock(request: LockRequest): Promise<StateLock> {
    if (this.held !== null) throw new Error(`${this.location}: this backend already holds the state lock`);
    const info = await this.run('take the state lock', async (session) => {
      await this.acquire(session, request);
      try {
        const replaced = await session.query<HolderRow>(`DELETE FROM ${this.tables.locks} WHERE project = $1 AND environment = $2 RETURNING *`, this.scope);
        const taken = newLockInfo(request.command);
        await session.query(
          `INSERT INTO ${this.tables.locks} (project, environment, id, who, host, pid, command, created_at, backend_pid) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, pg_backend_pid())`,
          [...this.scope, taken.id, taken.who, taken.host, taken.pid, taken.command, taken.createdAt],
        );
        this.held = { info: taken, session };
        const stale = replaced.rows[0];
        return { taken, stale: stale === undefined ? null : holderInfo(stale) };
      } catch (error) {
        await this.unlock(session.query).catch(() => undefined);
        throw error;
      }
    });
    this.command = request.command;
    const notice = info.stale === null ? null : `Took over the state lock left by ${describeHolder(info.stale)}: its database session is gone.`;
    let released: Promise<void> | undefined;
    return {
      info: info.taken,
      notice,
      release: () => {
        released ??= this.release(info.taken.id);
        return released;
      },
    };
  }

  /**
   * Removes the holder row of lock `id`. Its holder still runs while its session holds the
   * advisory lock, on whatever host it runs (a frozen runner, a laptop asleep): refused
   * then, unless `force`, which ends that session first. A holder whose session is gone
   * holds nothing, and its row goes without --force.
   */
  forceUnlock(id: string, options: ForceUnlockOptions = {}): Promise<LockInfo> {
    return this.run('force-unlock the state', async (session) => {
      const found = await session.query<HolderRow>(`SELECT * FROM ${this.tables.locks} WHERE project = $1 AND environment = $2`, this.scope);
      const row = found.rows[0];
      if (row === undefined) throw new UserError('STATE', `${this.location}: there is no lock to remove`);
      const holder = holderInfo(row);
      if (holder.id !== id) {
        throw new UserError('STATE', `${this.location}: the lock's ID is ${holder.id} (held by ${describeHolder(holder)}), not ${id}; nothing was removed`);
      }
      if ((await this.lockHolderPid(session.query)) === row.backend_pid) {
        if (options.force !== true) {
          throw holderRunningError(this.location, holder, `(its database session, pid ${row.backend_pid}, still holds the lock)`, 'to end that session and remove the lock');
        }
        try {
          await session.query('SELECT pg_terminate_backend($1)', [row.backend_pid]);
        } catch (error) {
          if ((error as { code?: unknown }).code !== '42501') throw error;
          throw new UserError('STATE', `${this.location}: the holder's database session (pid ${row.backend_pid}) belongs to another role; ask an administrator to run SELECT pg_terminate_backend(${row.backend_pid})`);
        }
        await this.waitUntilFree(session.query, row.backend_pid);
      }
      const removed = await session.query(`DELETE FROM ${this.tables.locks} WHERE project = $1 AND environment = $2 AND id = $3`, [...this.scope, id]);
      if (removed.rowCount === 0) throw new UserError('STATE', `${this.location}: lock ${id} was released while unlocking`);
      return holder;
    });
  }

  appendJournal(entry: JournalEntry): Promise<void> {
    const problem = journalEntryProblem(entry);
    if (problem !== null) return Promise.reject(new Error(`invalid journal entry: ${problem}`));
    return this.journal.add(canonicalJson(entry));
  }

  readJournal(): Promise<JournalRead> {
    return this.run('read the journal', async (session) => {
      // Aliased: ORDER BY a text column named seq would sort 10 before 9.
      const result = await session.query<{ position: string; entry: unknown }>(
        `SELECT seq::text AS position, entry FROM ${this.tables.journal} WHERE project = $1 AND environment = $2 ORDER BY seq`,
        this.scope,
      );
      const entries = result.rows.map((row) => {
        const problem = journalEntryProblem(row.entry);
        if (problem !== null) throw new UserError('STATE', `${this.location}: journal row ${row.position}: invalid journal entry: ${problem}`);
        return row.entry as JournalEntry;
      });
      return { entries, tornTail: false };
    });
  }

  clearJournal(): Promise<void> {
    return this.run('clear the journal', async (session) => {
      await session.query(`DELETE FROM ${this.tables.journal} WHERE project = $1 AND environment = $2`, this.scope);
    });
  }

  /** In one transaction, under the write lock: the state row, its history and its journal. */
  delete(): Promise<void> {
    return this.run('delete the state', (session) =>
      session.transaction(async (q) => {
        await q('SELECT pg_advisory_xact_lock($1, $2)', [WRITE_CLASS, this.key]);
        for (const table of [this.tables.journal, this.tables.history, this.tables.states]) {
          await q(`DELETE FROM ${table} WHERE project = $1 AND environment = $2`, this.scope);
        }
      }),
    );
  }

  environments(): Promise<string[]> {
    return this.run('list the states', async (session) => {
      const result = await session.query<{ environment: string }>(`SELECT environment FROM ${this.tables.states} WHERE project = $1 ORDER BY environment COLLATE "C"`, [
        this.options.project,
      ]);
      return result.rows.map((row) => row.environment);
    });
  }

  async close(): Promise<void> {
    if (this.held !== null) await this.release(this.held.info.id).catch(() => undefined);
    await this.session?.end();
    this.session = null;
  }

  // ---------------------------------------------------------------- history

  private listHistory(): Promise<HistoryEntry[]> {
    const count = (field: string): string =>
      `CASE WHEN jsonb_typeof(document->'${field}') = 'object' THEN (SELECT count(*) FROM jsonb_object_keys(document->'${field}'))::int ELSE 0 END`;
    return this.run('read the state history', async (session) => {
      const result = await session.query<{ number: string; lineage: string; written_by: string; command: string | null; written_at: Date; assistants: number; files: number }>(
        `SELECT serial::text AS number, lineage, written_by, command, written_at, ${count('assistants')} AS assistants, ${count('files')} AS files
           FROM ${this.tables.history} WHERE project = $1 AND environment = $2 ORDER BY serial DESC`,
        this.scope,
      );
      return result.rows.map((row) => ({
        serial: Number(row.number),
        lineage: row.lineage,
        writtenAt: row.written_at.toISOString(),
        writtenBy: row.written_by,
        command: row.command,
        assistants: row.assistants,
        files: row.files,
      }));
    });
  }

  private readHistory(serial: number): Promise<StateFile> {
    return this.run('read the state history', (session) => this.historyAt(session.query, serial));
  }

  private rollback(serial: number): Promise<StateFile> {
    return this.run('roll the state back', (session) =>
      session.transaction(async (q) => {
        await q('SELECT pg_advisory_xact_lock($1, $2)', [WRITE_CLASS, this.key]);
        const current = await this.currentColumns(q);
        if (current === null) throw new UserError('STATE', `${this.location}: there is no state to roll back`);
        const old = await this.historyAt(q, serial);
        if (old.lineage !== current.lineage) {
          throw new UserError(
            'STATE',
            `${this.location}: serial ${serial} belongs to lineage ${old.lineage}, the current state to lineage ${current.lineage}; a rollback never crosses lineages (state push --force replaces a state with another)`,
          );
        }
        return this.insertVersion(q, { ...old, serial: current.serial + 1 });
      }),
    );
  }

  private async historyAt(q: Query, serial: number): Promise<StateFile> {
    const result = await q<StateRow>(
      `SELECT lineage, serial::text, document, written_by, written_at FROM ${this.tables.history} WHERE project = $1 AND environment = $2 AND serial = $3`,
      [...this.scope, serial],
    );
    const row = result.rows[0];
    if (row === undefined) throw new UserError('STATE', `${this.location}: serial ${serial} is not in the history; "assistants state history" lists the serials kept`);
    return this.parseRow(row, 'history row');
  }

  // ---------------------------------------------------------------- writing

  private async currentColumns(q: Query): Promise<{ lineage: string; serial: number } | null> {
    const result = await q<{ lineage: string; serial: string }>(
      `SELECT lineage, serial::text FROM ${this.tables.states} WHERE project = $1 AND environment = $2 FOR UPDATE`,
      this.scope,
    );
    const row = result.rows[0];
    return row === undefined ? null : { lineage: row.lineage, serial: Number(row.serial) };
  }

  /** The compare-and-set, inside the caller's transaction. Reads the row's columns, never its document. */
  private async writeIn(q: Query, state: StateFile, replace: boolean): Promise<StateFile> {
    await q('SELECT pg_advisory_xact_lock($1, $2)', [WRITE_CLASS, this.key]);
    const current = await this.currentColumns(q);
    if (current !== null && !replace) {
      if (current.lineage !== state.lineage) {
        throw new UserError('STATE', `${this.location}: refusing to overwrite a state of lineage ${current.lineage} with one of lineage ${state.lineage}`);
      }
      if (state.serial < current.serial) {
        throw new UserError('STATE', `${this.location}: the state changed since it was read (serial ${state.serial}, now ${current.serial}); run the command again`);
      }
      return this.insertVersion(q, { ...state, serial: state.serial + 1 });
    }
    // A first write, or a replacement: above every serial kept, so history never collides.
    const kept = await q<{ serial: string }>(`SELECT coalesce(max(serial), 0)::text AS serial FROM ${this.tables.history} WHERE project = $1 AND environment = $2`, this.scope);
    const above = Math.max(state.serial, current?.serial ?? 0, Number(kept.rows[0]?.serial ?? 0));
    return this.insertVersion(q, { ...state, serial: above + 1 });
  }

  /** Writes `next` (valid: checked by write, or read back from the history) as the row and a history row. */
  private async insertVersion(q: Query, next: StateFile): Promise<StateFile> {
    const values = [...this.scope, next.lineage, next.serial, canonicalJson(next), `${currentUser()}@${hostname()}`, this.command];
    await q(
      `INSERT INTO ${this.tables.states} (project, environment, lineage, serial, document, written_by, command, written_at)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, now())
       ON CONFLICT (project, environment) DO UPDATE SET lineage = EXCLUDED.lineage, serial = EXCLUDED.serial,
         document = EXCLUDED.document, written_by = EXCLUDED.written_by, command = EXCLUDED.command, written_at = EXCLUDED.written_at`,
      values,
    );
    await q(
      `INSERT INTO ${this.tables.history} (project, environment, lineage, serial, document, written_by, command, written_at)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, now())`,
      values,
    );
    return next;
  }

  /** A row's document as a state; a row edited by hand into something else is refused, naming it. */
  private parseRow(row: StateRow, what = 'state row'): StateFile {
    const source = `${this.location}: ${what} serial ${row.serial} (written by ${row.written_by} at ${row.written_at.toISOString()})`;
    const state = parseStateDocument(row.document, source, REPAIR);
    if (state.lineage !== row.lineage || String(state.serial) !== row.serial) {
      throw new UserError('STATE', `${source}: its document says lineage ${state.lineage} serial ${state.serial}, its columns lineage ${row.lineage} serial ${row.serial}; ${REPAIR}`);
    }
    return state;
  }

  private async insertJournal(entries: string[]): Promise<void> {
    await this.run('record an operation in the journal', async (session) => {
      await session.query(
        `INSERT INTO ${this.tables.journal} (project, environment, entry)
           SELECT $1, $2, entry FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS batch(entry, n) ORDER BY n`,
        [...this.scope, `[${entries.join(',')}]`],
      );
    });
  }

  // ---------------------------------------------------------------- locking

  private async tryLock(q: Query): Promise<boolean> {
    const result = await q<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [LOCK_CLASS, this.key]);
    return result.rows[0]?.locked === true;
  }

  private async unlock(q: Query): Promise<void> {
    await q('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, this.key]);
  }

  /** Takes the advisory lock, waiting up to the request's timeout, or throws LOCK_HELD naming the holder. */
  private async acquire(session: PgSession, request: LockRequest): Promise<void> {
    // A holder that lets go between our try and our look at it: try again, a few times.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      if (await this.tryLock(session.query)) return;
      const holder = await this.holderOf(session.query);
      if (holder === null) continue;
      const timeoutMs = request.timeoutMs ?? 0;
      if (timeoutMs <= 0) throw holder.error;
      if (holder.info !== null) request.onWait?.(holder.info);
      if (await this.blockingLock(session, timeoutMs, request.signal)) return;
      if (request.signal?.aborted) throw interruptedWaitingError(holder.who);
      throw (await this.holderOf(session.query))?.error ?? holder.error;
    }
    throw new UserError('LOCK_HELD', `${this.location}: the state lock keeps changing hands; run the command again`);
  }

  /**
   * Waits for the lock under lock_timeout (the server wakes us when it is free); false on
   * timeout, or when `signal` aborts (a Ctrl-C), which ends the session to stop the wait:
   * it holds nothing yet, and the next call connects again.
   */
  private async blockingLock(session: PgSession, timeoutMs: number, signal: AbortSignal | undefined): Promise<boolean> {
    if (signal?.aborted) return false;
    const stop = (): void => void session.end();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      await session.query("SELECT set_config('lock_timeout', $1, false)", [`${timeoutMs}ms`]);
      await session.query('SELECT pg_advisory_lock($1, $2)', [LOCK_CLASS, this.key]);
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code === '55P03' || signal?.aborted) return false;
      throw error;
    } finally {
      signal?.removeEventListener('abort', stop);
      if (session.alive) await session.query("SELECT set_config('lock_timeout', '0', false)");
    }
  }

  /**
   * Who holds the lock, as the error to show: its holder row (written just after the lock is
   * taken, so a moment's grace), else its session; `who` names it in a line. Null when
   * nobody holds it any more.
   */
  private async holderOf(q: Query): Promise<{ error: UserError; info: LockInfo | null; who: string } | null> {
    const deadline = Date.now() + HOLDER_ROW_GRACE_MS;
    for (;;) {
      const found = await q<HolderRow>(`SELECT * FROM ${this.tables.locks} WHERE project = $1 AND environment = $2`, this.scope);
      const row = found.rows[0];
      const pid = await this.lockHolderPid(q);
      if (pid === null) return null;
      if (row !== undefined && pid === row.backend_pid) {
        const info = holderInfo(row);
        return { error: lockHeldError(info), info, who: describeHolder(info) };
      }
      if (Date.now() >= deadline) {
        const message = `State is locked by PostgreSQL session pid ${pid}, which left no holder record in ${this.tables.locks}; wait for it, or end it with SELECT pg_terminate_backend(${pid})`;
        return { error: new UserError('LOCK_HELD', message), info: null, who: `PostgreSQL session pid ${pid}` };
      }
      await sleep(50);
    }
  }

  /** The server pid of the session holding this state's advisory lock, or null. */
  private async lockHolderPid(q: Query): Promise<number | null> {
    const result = await q<{ pid: number }>(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 2
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [LOCK_CLASS, this.key],
    );
    return result.rows[0]?.pid ?? null;
  }

  private async waitUntilFree(q: Query, pid: number): Promise<void> {
    const deadline = Date.now() + TERMINATE_WAIT_MS;
    while ((await this.lockHolderPid(q)) === pid) {
      if (Date.now() >= deadline) throw new UserError('STATE', `${this.location}: the holder's database session (pid ${pid}) was told to end but still holds the lock; try again in a moment`);
      await sleep(25);
    }
  }

  private async release(id: string): Promise<void> {
    const held = this.held;
    if (held === null || held.info.id !== id) return;
    this.held = null;
    // A lost session took the lock with it; there is nothing left to release.
    if (!held.session.alive) return;
    try {
      await held.session.query(`DELETE FROM ${this.tables.locks} WHERE project = $1 AND environment = $2 AND id = $3`, [...this.scope, id]);
      await this.unlock(held.session.query);
    } catch (error) {
      if (!isSessionLost(error)) throw pgUserError(error, this.options.connection, 'release the state lock');
    }
  }

  // ---------------------------------------------------------------- the connection

  /** The session to use: the lock's while one is held, else the open one or a new one. */
  private async connected(): Promise<PgSession> {
    if (this.held !== null) {
      if (!this.held.session.alive) throw this.lockLost(this.held.session.lostWith);
      return this.held.session;
    }
    if (this.session?.alive) return this.session;
    await this.session?.end();
    this.session = null;
    const session = await PgSession.connect(this.options.connection, 'assistants');
    try {
      if (!this.schemaReady) {
        await ensureSchema(session.query, (work) => session.transaction(work), {
          schema: this.options.schema,
          skipCreation: this.options.skipSchemaCreation,
          where: this.options.connection.description,
        });
        this.schemaReady = true;
      }
    } catch (error) {
      await session.end();
      throw error;
    }
    this.session = session;
    return session;
  }

  private lockLost(cause: Error | null): UserError {
    const why = cause?.message ? ` (${scrub(cause.message, this.options.connection)})` : '';
    return new UserError(
      'STATE',
      `${this.location}: lost the connection to PostgreSQL while holding the state lock${why}, and the lock with it; what was recorded before is kept: run the command again`,
    );
  }

  /** Runs `work` on a connected session, turning driver failures into one-line errors. */
  private async run<T>(doing: string, work: (session: PgSession) => Promise<T>): Promise<T> {
    try {
      return await work(await this.connected());
    } catch (error) {
      if (error instanceof UserError) throw error;
      // The query may fail with the server's goodbye before the connection reports its end.
      if (this.held !== null && (!this.held.session.alive || isSessionLost(error))) {
        throw this.lockLost(this.held.session.lostWith ?? (error instanceof Error ? error : null));
      }
      throw pgUserError(error, this.options.connection, doing);
    }
  }
}
