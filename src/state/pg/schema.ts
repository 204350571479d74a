/**
 * The tables of the PostgreSQL backend, created on first use in their own schema (default
 * `assistants_state`), and the version table that lets a later release migrate them.
 * docs/state-postgres.md shows the same SQL for an administrator to run by hand (a test
 * keeps the two equal).
 *
 * Advisory-lock keys are the two-int form, `(class, key)`: the class ids below belong to
 * this tool, and the two-int form never meets a single-bigint lock, so nothing else in the
 * database shares them. Each key hashes the schema name with what it guards, so states of
 * the same project in two schemas never share a lock (the `pg` backend of Terraform
 * derives its lock id from the state name alone: hashicorp/terraform#33217).
 */
import { createHash } from 'node:crypto';
import { UserError } from '../../errors.js';
import type { Query } from './session.js';

/** The version of the tables this release writes. */
export const SCHEMA_VERSION = 1;
export const DEFAULT_SCHEMA = 'assistants_state';
/** A schema name that needs no quoting rules beyond double quotes: lowercase, digits, `_`. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Class ids ("asst" + 0, 1, 2): the state lock held for a command, schema migrations, one write. */
export const LOCK_CLASS = 0x61737374;
export const MIGRATION_CLASS = LOCK_CLASS + 1;
export const WRITE_CLASS = LOCK_CLASS + 2;

/** A non-negative int4 from the parts (an oid in pg_locks without sign games). */
export function lockKey(...parts: string[]): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32BE(0) & 0x7fffffff;
}

/** Table names, schema-qualified and quoted. */
export interface Tables {
  version: string;
  states: string;
  history: string;
  journal: string;
  locks: string;
}

export function tablesOf(schema: string): Tables {
  const q = `"${schema}"`;
  return {
    version: `${q}.schema_version`,
    states: `${q}.states`,
    history: `${q}.state_history`,
    journal: `${q}.journal`,
    locks: `${q}.locks`,
  };
}

/** The statements that create version 1 in an existing schema, in order. */
export function version1(schema: string): string[] {
  const t = tablesOf(schema);
  return [
    `CREATE TABLE ${t.version} (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  version integer NOT NULL,
  migrated_at timestamptz NOT NULL DEFAULT now()
)`,
    `CREATE TABLE ${t.states} (
  project text NOT NULL,
  environment text NOT NULL,
  lineage text NOT NULL,
  serial bigint NOT NULL,
  document jsonb NOT NULL,
  written_by text NOT NULL,
  command text,
  written_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project, environment)
)`,
    `CREATE TABLE ${t.history} (
  project text NOT NULL,
  environment text NOT NULL,
  serial bigint NOT NULL,
  lineage text NOT NULL,
  document jsonb NOT NULL,
  written_by text NOT NULL,
  command text,
  written_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project, environment, serial)
)`,
    `CREATE TABLE ${t.journal} (
  project text NOT NULL,
  environment text NOT NULL,
  seq bigserial NOT NULL,
  entry jsonb NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project, environment, seq)
)`,
    `CREATE TABLE ${t.locks} (
  project text NOT NULL,
  environment text NOT NULL,
  id uuid NOT NULL,
  who text NOT NULL,
  host text NOT NULL,
  pid integer NOT NULL,
  command text NOT NULL,
  created_at timestamptz NOT NULL,
  backend_pid integer NOT NULL,
  PRIMARY KEY (project, environment)
)`,
    `INSERT INTO ${t.version} (version) VALUES (1)`,
  ];
}

/**
 * `MIGRATIONS[n]` brings the tables from version n to n + 1 (0: nothing yet). A release
 * that changes the tables adds a step here and raises SCHEMA_VERSION.
 */
const MIGRATIONS: Readonly<Record<number, (schema: string) => string[]>> = { 0: version1 };

export interface SchemaSetup {
  schema: string;
  /** Never run DDL: the schema and tables must already exist (created by an administrator). */
  skipCreation: boolean;
  /** `user@host:port/database`, for messages. */
  where: string;
}

function undefinedTable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === '42P01' || code === '3F000';
}

/** The tables' version, or 0 when the schema or its version table does not exist yet. */
async function currentVersion(query: Query, schema: string): Promise<number> {
  try {
    const result = await query<{ version: number }>(`SELECT version FROM ${tablesOf(schema).version}`);
    return result.rows[0]?.version ?? 0;
  } catch (error) {
    if (undefinedTable(error)) return 0;
    throw error;
  }
}

/** currentVersion without relying on an error (which would abort the transaction). */
async function versionInTransaction(q: Query, schema: string): Promise<number> {
  const table = tablesOf(schema).version;
  const found = await q<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [table]);
  if (!found.rows[0]?.present) return 0;
  return (await q<{ version: number }>(`SELECT version FROM ${table}`)).rows[0]?.version ?? 0;
}

function newerError(setup: SchemaSetup, version: number): UserError {
  return new UserError(
    'STATE',
    `PostgreSQL at ${setup.where}: schema "${setup.schema}" is at version ${version}, newer than this tool supports (${SCHEMA_VERSION}); upgrade assistants to use it`,
  );
}

/**
 * Makes sure the tables exist at this release's version: one query when they do. Creation
 * and migration run in one transaction under an advisory lock, so two first runs at once
 * do not trip over each other.
 */
export async function ensureSchema(query: Query, transaction: <T>(work: (q: Query) => Promise<T>) => Promise<T>, setup: SchemaSetup): Promise<void> {
  const found = await currentVersion(query, setup.schema);
  if (found === SCHEMA_VERSION) return;
  if (found > SCHEMA_VERSION) throw newerError(setup, found);
  if (setup.skipCreation) {
    throw new UserError(
      'STATE',
      found === 0
        ? `PostgreSQL at ${setup.where}: schema "${setup.schema}" has no state tables, and --skip-schema-creation (PG_SKIP_SCHEMA_CREATION) forbids creating them; have them created (docs/state-postgres.md) or drop the option`
        : `PostgreSQL at ${setup.where}: schema "${setup.schema}" is at version ${found} and needs migrating to ${SCHEMA_VERSION}, which --skip-schema-creation (PG_SKIP_SCHEMA_CREATION) forbids; run once without it`,
    );
  }
  await transaction(async (q) => {
    await q('SELECT pg_advisory_xact_lock($1, $2)', [MIGRATION_CLASS, lockKey(setup.schema)]);
    const exists = await q<{ present: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS present', [setup.schema]);
    if (!exists.rows[0]?.present) await createSchema(q, setup);
    // Inside the lock: another process may have created or migrated them meanwhile.
    let version = await versionInTransaction(q, setup.schema);
    if (version > SCHEMA_VERSION) throw newerError(setup, version);
    for (; version < SCHEMA_VERSION; version += 1) {
      const step = MIGRATIONS[version];
      if (step === undefined) throw new Error(`no migration of the state tables from version ${version}`);
      for (const statement of step(setup.schema)) await createIn(q, setup, statement);
    }
    await q(`UPDATE ${tablesOf(setup.schema).version} SET version = $1, migrated_at = now()`, [SCHEMA_VERSION]);
  });
}

function permissionError(setup: SchemaSetup, what: string): UserError {
  return new UserError(
    'STATE',
    `PostgreSQL at ${setup.where}: no permission to create ${what}; have an administrator create it (docs/state-postgres.md has the SQL) and run with --skip-schema-creation, or grant this user CREATE there`,
  );
}

async function createSchema(q: Query, setup: SchemaSetup): Promise<void> {
  try {
    await q(`CREATE SCHEMA IF NOT EXISTS "${setup.schema}"`);
  } catch (error) {
    if ((error as { code?: unknown }).code === '42501') throw permissionError(setup, `schema "${setup.schema}"`);
    throw error;
  }
}

async function createIn(q: Query, setup: SchemaSetup, statement: string): Promise<void> {
  try {
    await q(statement);
  } catch (error) {
    if ((error as { code?: unknown }).code === '42501') throw permissionError(setup, `tables in schema "${setup.schema}"`);
    throw error;
  }
}
