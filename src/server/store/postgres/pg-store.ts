/**
 * The PostgreSQL store: every record, every upload's bytes (in `file_parts`, 256 KiB a row,
 * written and read a row at a time, so no file is ever whole in memory), the run queue and
 * the run events, in one database that several `serve` processes (replicas) share.
 *
 * - Transactions are PostgreSQL's (read committed). One that fails with a serialization
 *   failure or a deadlock is run again (at most MAX_ATTEMPTS times).
 * - A database that cannot be reached (down, restarting, refusing connections) is a
 *   StoreUnavailable: the request is answered 503 in the API's shape, a run tries again a
 *   second later, and the pool connects again by itself once the database is back.
 * - Run leases are rows of `run_progress` (owner, token, until); claims take due runs
 *   whose lease ran out with `FOR UPDATE SKIP LOCKED`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { hostname } from 'node:os';
import { Readable } from 'node:stream';
import type { Client, ClientConfig, Pool, PoolClient, QueryResultRow } from 'pg';
import { pgClientConfig } from '../../../pg-connection.js';
import { loadPgDriver } from '../../../pg-driver.js';
import type { DatabaseOptions } from '../../options.js';
import type { ObjectCounts } from '../../stats.js';
import type { AssistantStreamEvent } from '../../threads/events.js';
import { BlobStore, type BlobReader } from '../embedded/blobs.js';
import {
  RESET_MESSAGE,
  ResetDuringUpload,
  StoreUnavailable,
  TextIndexFull,
  type FileContents,
  type FileToKeep,
  type Records,
  type RunClaim,
  type RunLeases,
  type ServerStore,
  type StoreReader,
  type StoreStats,
  type StoreWriter,
} from '../store.js';
import { PgFeed } from './pg-feed.js';
import { isRetryable, isUnavailable } from './pg-errors.js';
import { PgRecords, type Query } from './pg-records.js';
import { migrate } from './schema.js';

/** Bytes of an upload per `file_parts` row. */
const PART_BYTES = 256 * 1024;
/** Attempts of a transaction that meets serialization failures or deadlocks. */
const MAX_ATTEMPTS = 5;
/** A query the database does not answer within this is given up (the connection is dropped). */
const QUERY_TIMEOUT_MS = 30_000;
/** Events of ended runs are kept this long (a stream may still be reading them), then swept. */
const KEEP_EVENTS = "interval '5 minutes'";
const SWEEP_EVERY_MS = 60_000;

/** What the server needs to open the store. */
export interface PgStoreOptions extends Required<DatabaseOptions> {
  /** How long a lease lasts unless renewed. */
  leaseMs: number;
  log: (line: string) => void;
}

/** Opens and migrates the schema, returning the versions applied; closes its connection. */
export async function migrateDatabase(options: Pick<PgStoreOptions, 'connection' | 'schema'>): Promise<number[]> {
  const pool = createPool(options.connection, 1);
  try {
    const client = await pool.connect();
    try {
      return await migrate(client, options.schema);
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
  }
}

/** A server never waits for the database without end: connecting (libpq's 0, "forever", is 10 s here) and each query are bounded. */
function clientConfig(connection: DatabaseOptions['connection']): ClientConfig {
  return {
    ...pgClientConfig(connection, 'assistants serve'),
    connectionTimeoutMillis: connection.connectTimeoutMs === 0 ? 10_000 : connection.connectTimeoutMs,
    query_timeout: QUERY_TIMEOUT_MS,
  };
}

function createPool(connection: DatabaseOptions['connection'], max: number): Pool {
  const { Pool: PgPool } = loadPgDriver();
  const pool = new PgPool({ ...clientConfig(connection), max, idleTimeoutMillis: 30_000 });
  // A connection the server ends (a restart), idle or in use, must not crash the process:
  // the pool drops an idle one, and the query under way on a used one fails.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** A transaction's writer: the records, plus the thread locks, events and leases. */
class PgTransaction extends PgRecords implements StoreWriter {
  /** Events to write at commit, by run: the next number, and the events. */
  readonly events = new Map<string, { next: number; list: Array<[number, AssistantStreamEvent]> }>();

  constructor(
    query: Query,
    schema: string,
    private readonly replica: string,
    private readonly leaseMs: number,
  ) {
    super(query, schema);
  }

  async lockThread(id: string): Promise<Records['threads'] | undefined> {
    const { rows } = await this.query<{ body: string }>(`SELECT body FROM ${this.table('threads')} WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] === undefined ? undefined : (JSON.parse(rows[0].body) as Records['threads']);
  }

  async emit(runId: string, event: AssistantStreamEvent): Promise<number> {
    let pending = this.events.get(runId);
    if (pending === undefined) {
      const { rows } = await this.query<{ last: number }>(`SELECT coalesce(max(seq), 0)::int AS last FROM "${this.schema}".run_events WHERE run_id = $1`, [runId]);
      pending = { next: (rows[0]?.last ?? 0) + 1, list: [] };
      this.events.set(runId, pending);
    }
    const seq = pending.next++;
    pending.list.push([seq, event]);
    return seq;
  }

  async holdsRun(runId: string, token: string): Promise<boolean> {
    const { rowCount } = await this.query(
      `UPDATE "${this.schema}".run_progress SET lease_until = now() + $4 * interval '1 millisecond' WHERE id = $1 AND lease_token = $2 AND lease_owner = $3`,
      [runId, token, this.replica, this.leaseMs],
    );
    return (rowCount ?? 0) > 0;
  }

  async takeRun(runId: string, dueInMs: number): Promise<RunClaim> {
    const token = randomUUID();
    await this.query(
      `UPDATE "${this.schema}".run_progress SET lease_owner = $2, lease_token = $3, lease_until = now() + $4 * interval '1 millisecond', due_at = now() + $5 * interval '1 millisecond' WHERE id = $1`,
      [runId, this.replica, token, this.leaseMs, dueInMs],
    );
    return { runId, token };
  }

  async setRunDue(runId: string, dueInMs: number): Promise<void> {
    await this.query(`UPDATE "${this.schema}".run_progress SET due_at = now() + $2 * interval '1 millisecond' WHERE id = $1`, [runId, dueInMs]);
  }

  /** Writes the events emitted and tells every replica (NOTIFY is sent at commit). */
  async writeEvents(channel: string): Promise<void> {
    for (const [runId, { list }] of this.events) {
      if (list.length === 0) continue;
      await this.query(
        `INSERT INTO "${this.schema}".run_events (run_id, seq, event) SELECT $1, seq, event FROM unnest($2::int[], $3::text[]) AS e(seq, event)`,
        [runId, list.map(([seq]) => seq), list.map(([, event]) => JSON.stringify(event))],
      );
      await this.query('SELECT pg_notify($1, $2)', [channel, runId]);
    }
  }
}

export class PgStore implements ServerStore {
  readonly kind = 'postgres';
  readonly shared = true;
  readonly disk = undefined;
  readonly read: StoreReader;
  readonly files: FileContents;
  readonly leases: RunLeases;
  readonly events: PgFeed;
  readonly generation = 0;
  /** This process among the replicas: what its leases are held under. */
  readonly replica = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #pool: Pool;
  readonly #uploads = new BlobStore();
  readonly #schema: string;
  readonly #channels: { events: string; control: string };
  readonly #resetListeners: Array<() => void | Promise<void>> = [];
  readonly #stats = { transactions: 0, retries: 0, unavailable: 0 };
  readonly #sweep: NodeJS.Timeout;
  /** Since when the database has not answered, and how often it failed us meanwhile. */
  #outage: { since: number; failures: number } | undefined;

  private constructor(private readonly options: PgStoreOptions) {
    this.#schema = options.schema;
    this.#pool = createPool(options.connection, options.poolSize);
    // Channel names are identifiers (63 bytes at most): named by a digest of the schema's name.
    const channel = `assistants_serve_${createHash('sha256').update(options.schema).digest('hex').slice(0, 16)}`;
    this.#channels = { events: `${channel}_events`, control: `${channel}_control` };
    const query = this.#poolQuery();
    this.read = new PgRecords(query, this.#schema);
    this.events = new PgFeed(
      async () => {
        const { Client: PgClient } = loadPgDriver();
        const client: Client = new PgClient(clientConfig(options.connection));
        client.on('error', () => undefined);
        await client.connect();
        return client;
      },
      query,
      this.#schema,
      this.#channels,
      () => void this.#afterReset(),
      options.log,
    );
    this.files = {
      create: (fileId) => this.#uploads.create(fileId),
      open: (fileId, part = 'content') => this.#open(fileId, part),
    };
    const schema = `"${this.#schema}".run_progress`;
    this.leases = {
      claim: async (limit) => {
        const { rows } = await query<{ id: string; lease_token: string }>(
          `WITH due AS (
             SELECT id FROM ${schema}
             WHERE due_at <= now() AND (lease_until IS NULL OR lease_until < now())
             ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
           UPDATE ${schema} p SET lease_owner = $2, lease_token = gen_random_uuid(), lease_until = now() + $3 * interval '1 millisecond'
           FROM due WHERE p.id = due.id RETURNING p.id, p.lease_token`,
          [limit, this.replica, options.leaseMs],
        );
        return rows.map((row) => ({ runId: row.id, token: row.lease_token }));
      },
      renew: async (claims) => {
        if (claims.length === 0) return [];
        const { rows } = await query<{ id: string }>(
          `UPDATE ${schema} SET lease_until = now() + $3 * interval '1 millisecond' WHERE lease_owner = $1 AND lease_token = ANY($2::uuid[]) RETURNING id`,
          [this.replica, claims.map((claim) => claim.token), options.leaseMs],
        );
        const kept = new Set(rows.map((row) => row.id));
        return claims.filter((claim) => !kept.has(claim.runId)).map((claim) => claim.runId);
      },
      release: async (claims) => {
        if (claims.length === 0) return;
        await query(
          `UPDATE ${schema} p SET lease_owner = NULL, lease_token = NULL, lease_until = NULL, due_at = now() + r.due * interval '1 millisecond'
           FROM unnest($1::text[], $2::uuid[], $3::float8[]) AS r(id, token, due)
           WHERE p.id = r.id AND p.lease_token = r.token AND p.lease_owner = $4`,
          [claims.map((claim) => claim.runId), claims.map((claim) => claim.token), claims.map((claim) => claim.dueInMs), this.replica],
        );
      },
    };
    this.#sweep = setInterval(() => void this.#sweepEvents(), SWEEP_EVERY_MS);
    this.#sweep.unref();
  }

  /** Connects, applies the migrations the schema lacks, and starts listening for events. */
  static async open(options: PgStoreOptions): Promise<PgStore> {
    await migrateDatabase(options).catch((error: unknown) => {
      throw isUnavailable(error) ? new StoreUnavailable(describeUnavailable(options, error)) : error;
    });
    const store = new PgStore(options);
    try {
      await store.events.start();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /** Queries on the pool, one connection each; a lost database is StoreUnavailable. */
  #poolQuery(): Query {
    return async <R extends QueryResultRow>(text: string, values?: unknown[]) => {
      try {
        const result = await this.#pool.query<R>(text, values);
        this.#answered();
        return result;
      } catch (error) {
        throw this.#translate(error);
      }
    };
  }

  #translate(error: unknown): unknown {
    if (!isUnavailable(error)) return error;
    this.#stats.unavailable++;
    const message = describeUnavailable(this.options, error);
    if (this.#outage === undefined) {
      this.#outage = { since: Date.now(), failures: 0 };
      this.options.log(`assistants serve: ${message}; requests that need it are answered 503 until it is back`);
    }
    this.#outage.failures++;
    return new StoreUnavailable(message);
  }

  /** The database answered: an outage, if there was one, is over. */
  #answered(): void {
    const outage = this.#outage;
    if (outage === undefined) return;
    this.#outage = undefined;
    const seconds = ((Date.now() - outage.since) / 1000).toFixed(1);
    this.options.log(`assistants serve: the database at ${this.options.connection.description} answers again after ${seconds} s (${outage.failures} requests and steps could not reach it)`);
  }

  /** Runs `work` in a transaction on one connection; run again after a serialization failure or deadlock. */
  async #inTransaction<T>(work: (query: Query, tx: PgTransaction) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: PoolClient;
      try {
        client = await this.#pool.connect();
      } catch (error) {
        throw this.#translate(error);
      }
      const query: Query = (text, values) => client.query(text, values);
      const tx = new PgTransaction(query, this.#schema, this.replica, this.options.leaseMs);
      let broken: unknown;
      try {
        await query('BEGIN');
        const result = await work(query, tx);
        await tx.writeEvents(this.#channels.events);
        await query('COMMIT');
        this.#stats.transactions++;
        this.#answered();
        return result;
      } catch (error) {
        broken = isUnavailable(error) ? error : undefined;
        if (broken === undefined) await query('ROLLBACK').catch((rollback: unknown) => (broken = rollback));
        if (isRetryable(error) && attempt < MAX_ATTEMPTS) {
          this.#stats.retries++;
          continue;
        }
        throw this.#translate(error);
      } finally {
        // A connection that failed is not given to anyone else.
        client.release(broken instanceof Error ? broken : undefined);
      }
    }
  }

  transaction<T>(work: (tx: StoreWriter) => Promise<T>): Promise<T> {
    return this.#inTransaction((_query, tx) => work(tx));
  }

  /** A File's content or text, read a part at a time as the reader asks for it. */
  async #open(fileId: string, part: 'content' | 'text'): Promise<BlobReader | undefined> {
    const query = this.#poolQuery();
    const { rows } = await query<{ size: string; parts: number; exists: boolean }>(
      `SELECT coalesce(sum(octet_length(p.data)), 0)::bigint AS size, count(p.n)::int AS parts, bool_or(f.id IS NOT NULL) AS exists
       FROM "${this.#schema}".files f LEFT JOIN "${this.#schema}".file_parts p ON p.file_id = f.id AND p.part = $2 WHERE f.id = $1`,
      [fileId, part],
    );
    const found = rows[0];
    if (found === undefined || found.exists !== true || (part === 'text' && found.parts === 0)) return undefined;
    const schema = this.#schema;
    async function* parts(): AsyncGenerator<Buffer> {
      for (let n = 0; n < found!.parts; n++) {
        const { rows: data } = await query<{ data: Buffer }>(`SELECT data FROM "${schema}".file_parts WHERE file_id = $1 AND part = $2 AND n = $3`, [fileId, part, n]);
        const chunk = data[0]?.data;
        if (chunk === undefined) throw new Error(`part ${n} of file ${fileId} is missing`);
        yield chunk;
      }
    }
    return { size: Number(found.size), stream: Readable.from(parts(), { objectMode: false }) };
  }

  async keepFile(file: FileToKeep): Promise<Records['files']> {
    // A small upload's bytes are held in memory (at most HELD_BLOB_BYTES, within one part); a larger one is in a file.
    const held = file.content.held();
    const path = held === undefined ? await file.content.pendingPath() : undefined;
    const id = file.record.id;
    try {
      return await this.#inTransaction(async (query) => {
        const { rows } = await query<{ resets: string }>(`SELECT resets FROM "${this.#schema}".server_state WHERE id = 1 FOR SHARE`);
        if (Number(rows[0]?.resets ?? 0) !== file.resetsSeen) throw new ResetDuringUpload('reset during upload');
        const chars = file.text?.chars ?? 0;
        if (file.text !== null) {
          // One upload at a time checks and takes room in the index: together they stay within it.
          await query('SELECT pg_advisory_xact_lock(hashtext($1))', [`assistants-serve:text:${this.#schema}`]);
          const { rows: used } = await query<{ used: string }>(`SELECT coalesce(sum(text_chars), 0)::bigint AS used FROM "${this.#schema}".files`);
          const usedChars = Number(used[0]?.used ?? 0);
          if (usedChars + chars > file.maxTextChars) throw new TextIndexFull(chars, usedChars, file.maxTextChars);
        }
        const record = { ...file.record, bytes: file.content.bytesWritten };
        await query(`INSERT INTO "${this.#schema}".files (id, body, purpose, text_chars) VALUES ($1, $2, $3, $4)`, [id, JSON.stringify(record), record.purpose, chars]);
        let n = 0;
        const chunks = path === undefined ? (held === undefined || held.length === 0 ? [] : [held]) : createReadStream(path, { highWaterMark: PART_BYTES });
        for await (const chunk of chunks) {
          await query(`INSERT INTO "${this.#schema}".file_parts (file_id, part, n, data) VALUES ($1, 'content', $2, $3)`, [id, n++, chunk]);
        }
        if (file.text !== null) {
          const text = Buffer.from(file.text.json);
          for (let at = 0, part = 0; at < text.length; at += PART_BYTES, part++) {
            await query(`INSERT INTO "${this.#schema}".file_parts (file_id, part, n, data) VALUES ($1, 'text', $2, $3)`, [id, part, text.subarray(at, at + PART_BYTES)]);
          }
        }
        return record;
      });
    } finally {
      // The bytes are in the database (or nowhere): the local copy goes.
      await file.content.abort();
    }
  }

  async deleteFile(fileId: string): Promise<boolean> {
    return this.transaction(async (tx) => {
      if ((await tx.get('files', fileId)) === undefined) return false;
      await tx.deleteWhere('assistant_files', { file_id: fileId });
      // Its parts go with it (ON DELETE CASCADE).
      return tx.delete('files', fileId);
    });
  }

  async resets(): Promise<number> {
    const { rows } = await this.#poolQuery()<{ resets: string }>(`SELECT resets FROM "${this.#schema}".server_state WHERE id = 1`);
    return Number(rows[0]?.resets ?? 0);
  }

  async reset(): Promise<void> {
    const tables = ['assistant_files', 'assistants', 'file_parts', 'files', 'messages', 'run_steps', 'run_progress', 'run_events', 'runs', 'threads'];
    await this.#inTransaction(async (query) => {
      await query(`UPDATE "${this.#schema}".server_state SET resets = resets + 1 WHERE id = 1`);
      await query(`TRUNCATE ${tables.map((table) => `"${this.#schema}".${table}`).join(', ')}`);
      await query('SELECT pg_notify($1, $2)', [this.#channels.control, 'reset']);
    });
    // This replica hears its own notification too; its streams end now, not a moment later.
    await this.#afterReset();
  }

  #resetting: Promise<void> | undefined;

  /** Every replica, once a reset is committed: streams end, caches and timers go. */
  #afterReset(): Promise<void> {
    this.#resetting ??= (async () => {
      this.events.interruptAll(RESET_MESSAGE);
      for (const listener of this.#resetListeners) await listener();
    })().finally(() => {
      this.#resetting = undefined;
    });
    return this.#resetting;
  }

  onReset(listener: () => void | Promise<void>): void {
    this.#resetListeners.push(listener);
  }

  /** Events of runs that are over (or gone), once no stream can still want them. */
  async #sweepEvents(): Promise<void> {
    await this.#poolQuery()(
      `DELETE FROM "${this.#schema}".run_events e WHERE e.at < now() - ${KEEP_EVENTS}
       AND NOT EXISTS (SELECT 1 FROM "${this.#schema}".run_progress p WHERE p.id = e.run_id)`,
    ).catch(() => undefined);
  }

  async flush(): Promise<void> {
    // A committed transaction is durable: nothing waits.
  }

  rolledBackSince(): Error | undefined {
    return undefined;
  }

  onRollback(): void {
    // The database rolls a failed transaction back itself; nothing was applied in memory.
  }

  async check(): Promise<void> {
    await this.#poolQuery()('SELECT 1');
  }

  stats(): StoreStats & { replica: string; listening: boolean; pool: { total: number; idle: number; waiting: number } } {
    return {
      kind: 'postgres',
      ...this.#stats,
      replica: this.replica,
      listening: this.events.listening,
      pool: { total: this.#pool.totalCount, idle: this.#pool.idleCount, waiting: this.#pool.waitingCount },
    };
  }

  #objects: ObjectCounts = { assistants: 0, files: 0, threads: 0, messages: 0, runs: 0 };

  objectCounts(): ObjectCounts {
    return { ...this.#objects };
  }

  async countObjects(): Promise<ObjectCounts> {
    const tables = ['assistants', 'files', 'threads', 'messages', 'runs'] as const;
    const { rows } = await this.#poolQuery()<Record<(typeof tables)[number], number>>(
      `SELECT ${tables.map((table) => `(SELECT count(*) FROM "${this.#schema}".${table})::int AS ${table}`).join(', ')}`,
    );
    this.#objects = rows[0] ?? this.#objects;
    return this.objectCounts();
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
    await this.events.close();
    await this.#pool.end().catch(() => undefined);
    await this.#uploads.close();
  }
}

/** The one line a lost database is reported as: where, and why (never a password). */
function describeUnavailable(options: Pick<PgStoreOptions, 'connection'>, error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  let text = `the database at ${options.connection.description} is unavailable (${reason}); check that it runs and that --database (or PG_CONN_STR, or PGHOST and PGPORT) names it`;
  for (const secret of options.connection.secrets) if (secret.length >= 3) text = text.split(secret).join('[redacted]');
  return text;
}

