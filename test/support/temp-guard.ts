/**
 * Global setup: the run gets a private temp root, exported as TMPDIR to the test workers
 * and every process they start (the CLI, servers), so what the tests leave in "the temp
 * directory" can be told apart from what other programs on the machine write there at the
 * same time. The summary reporter fails the run when anything is left in it
 * (`leftInTempRoot`); the teardown then removes the root, so a failed run leaves nothing
 * behind either.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT_VARIABLE = 'ASSISTANTS_TEST_TEMP_ROOT';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'assistants-tests-'));
  // Others may pass through it, not list it: run as root, a throwaway PostgreSQL
  // (scripts/throwaway-postgres.mjs) runs as the postgres user, on files in here.
  chmodSync(root, 0o711);
  process.env[ROOT_VARIABLE] = root;
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}

/** What the tests left in the run's temp root (empty when they cleaned up after themselves). */
export function leftInTempRoot(): string[] {
  const root = process.env[ROOT_VARIABLE];
  return root === undefined ? [] : readdirSync(root).sort();
}
