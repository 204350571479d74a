/**
 * PostgreSQL for a test: the run's server (`inject('pgUrl')`, from postgres-setup.ts), a
 * fresh schema per test that the test drops, and one-off admin queries.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export function pgUrl(): string {
  return inject('pgUrl');
}

/** A schema name no other test uses, with this run's prefix (postgres-setup.ts checks that none is left). */
export function freshSchema(): string {
  return `${inject('pgSchemaPrefix')}${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

/** Runs one statement on a connection of its own. */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values: unknown[] = [], url = pgUrl()): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string, url = pgUrl()): Promise<void> {
  await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`, [], url);
}
