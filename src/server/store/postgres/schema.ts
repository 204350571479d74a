/**
 * The PostgreSQL store's tables, as numbered migrations. A server applies the ones its
 * database lacks when it starts (or `serve --migrate` does, and exits), one server at a
 * time (an advisory lock), each in the transaction of all; it refuses a database whose
 * schema is newer than it knows, naming both versions.
 *
 * Every collection is a table of `(seq, id, body)`: `body` is the API's JSON object as text
 * (text, not jsonb: jsonb cannot hold the \u0000 a client may send), `seq` its place in
 * creation order (list order and cursors); the fields records are found by are columns
 * the store writes beside `body` (KEY_FIELDS), with indexes. A thread's messages and runs are
 * inserted while the thread's row is locked, so their `seq` order is their commit order.
 * No thread has two active runs: a partial unique index says so.
 */
import type { PoolClient } from 'pg';

export interface Migration {
  version: number;
  /** What it does, for the log. */
  summary: string;
  sql: (schema: string) => string;
}

/** A key field's column. */
const key = (name: string): string => `${name} text`;
const collection = (schema: string, table: string, columns: string[] = []): string =>
  `CREATE TABLE "${schema}".${table} (seq bigserial NOT NULL UNIQUE, id text PRIMARY KEY, body text NOT NULL${columns.map((column) => `, ${column}`).join('')});`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    summary: 'assistants, files and their parts, threads, messages, runs, steps, the run queue and its events',
    sql: (s) => `
${collection(s, 'assistants')}
${collection(s, 'assistant_files', [key('assistant_id'), key('file_id')])}
CREATE INDEX ON "${s}".assistant_files (assistant_id, seq);
CREATE INDEX ON "${s}".assistant_files (file_id);
${collection(s, 'files', [key('purpose'), 'text_chars bigint NOT NULL DEFAULT 0'])}
CREATE INDEX ON "${s}".files (purpose, seq);
CREATE TABLE "${s}".file_parts (
  file_id text NOT NULL REFERENCES "${s}".files (id) ON DELETE CASCADE,
  part text NOT NULL CHECK (part IN ('content', 'text')),
  n integer NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (file_id, part, n)
);
${collection(s, 'threads')}
${collection(s, 'messages', [key('thread_id'), key('run_id')])}
CREATE INDEX ON "${s}".messages (thread_id, seq);
${collection(s, 'runs', [key('thread_id'), 'active boolean NOT NULL'])}
CREATE INDEX ON "${s}".runs (thread_id, seq);
CREATE UNIQUE INDEX runs_one_active_per_thread ON "${s}".runs (thread_id) WHERE active;
${collection(s, 'run_steps', [key('run_id')])}
CREATE INDEX ON "${s}".run_steps (run_id, seq);
${collection(s, 'run_progress', ['due_at timestamptz NOT NULL DEFAULT now()', 'lease_owner text', 'lease_token uuid', 'lease_until timestamptz'])}
CREATE INDEX ON "${s}".run_progress (due_at);
CREATE TABLE "${s}".run_events (
  run_id text NOT NULL,
  seq integer NOT NULL,
  event text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, seq)
);
CREATE INDEX ON "${s}".run_events (at);
CREATE TABLE "${s}".server_state (id integer PRIMARY KEY CHECK (id = 1), resets bigint NOT NULL DEFAULT 0);
INSERT INTO "${s}".server_state (id) VALUES (1);
`,
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** The database's schema is newer than this server: it must not write to it. */
export class NewerSchemaError extends Error {
  override readonly name = 'NewerSchemaError';
  constructor(
    readonly schema: string,
    readonly found: number,
  ) {
    super(
      `the database's schema "${schema}" is at version ${found}, newer than this version of assistants knows (${LATEST_VERSION}); run the newer assistants that migrated it, or give another --database-schema`,
    );
  }
}

/** The advisory lock key of the migrations of `schema` (one server migrates at a time). */
const LOCK_KEY = (schema: string): string => `assistants-serve:migrate:${schema}`;

/**
 * Brings `schema` to the latest version; returns the versions it applied. Throws
 * NewerSchemaError for a schema newer than this server knows.
 */
export async function migrate(client: PoolClient, schema: string): Promise<number[]> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [LOCK_KEY(schema)]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS "${schema}".migrations (version integer PRIMARY KEY, summary text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const current = Number((await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM "${schema}".migrations`)).rows[0]?.v ?? 0);
    if (current > LATEST_VERSION) throw new NewerSchemaError(schema, current);
    const applied: number[] = [];
    for (const migration of MIGRATIONS.filter((m) => m.version > current)) {
      await client.query(migration.sql(schema));
      await client.query(`INSERT INTO "${schema}".migrations (version, summary) VALUES ($1, $2)`, [migration.version, migration.summary]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
