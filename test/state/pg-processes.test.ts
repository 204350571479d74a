/**
 * The PostgreSQL lock with real processes: it dies with a killed holder, and force-unlock
 * frees one held by a runner that froze with its connection still open. The fixture
 * imports the built output (`npm test` builds first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { LockInfo } from '../../src/state/backend.js';
import { PgStateBackend } from '../../src/state/pg/backend.js';
import { pgConnectionFromEnv } from '../../src/state/pg/connection.js';
import { dropSchema, freshSchema, pgUrl } from '../support/pg.js';
import { runCli } from '../../src/cli/run.js';
import { UserError } from '../../src/errors.js';
import { fakeIo } from '../support/fake-io.js';
import { makeTempDir } from '../support/temp-dir.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/pg-lock-holder.mjs', import.meta.url));

const children = new Set<ChildProcess>();
let schema = '';
afterEach(async () => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  await dropSchema(schema);
});

/** A process holding the lock, and its holder record. */
async function holder(): Promise<{ child: ChildProcess; info: LockInfo }> {
  const child = spawn(process.execPath, [FIXTURE, schema], { env: { ...process.env, PG_CONN_STR: pgUrl() }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`lock holder exited (${code}): ${err}`)));
  });
  return { child, info: JSON.parse(line) as LockInfo };
}

const backend = (): PgStateBackend =>
  new PgStateBackend({ connection: pgConnectionFromEnv({ PG_CONN_STR: pgUrl() }), schema, project: 'demo', environment: 'dev', skipSchemaCreation: false });

describe('the PostgreSQL state lock and its holder process', () => {
  it('dies with a holder killed with SIGKILL: the next taker gets it at once', async () => {
    schema = freshSchema();
    const { child, info } = await holder();
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
    const next = backend();
    try {
      const lock = await next.lock({ command: 'plan', timeoutMs: 0 });
      expect(lock.notice).toBe(`Took over the state lock left by apply (pid ${info.pid} on ${info.host} since ${info.createdAt}, lock ID ${info.id}): its database session is gone.`);
      await lock.release();
    } finally {
      await next.close();
    }
  });

  it('force-unlock frees a lock whose holder froze with its connection open, ending that session', async () => {
    schema = freshSchema();
    const { child, info } = await holder();
    child.kill('SIGSTOP');
    const { dir, cleanup } = await makeTempDir();
    const other = backend();
    try {
      await writeFile(join(dir, 'assistants.yaml'), `version: 1\nproject: demo\nbackend: { type: pg, schema: ${schema} }\nassistants: {}\n`);
      const blocked = await other.lock({ command: 'plan' }).catch((error: unknown) => error as UserError);
      expect((blocked as UserError).code).toBe('LOCK_HELD');
      const io = fakeIo(dir, { PG_CONN_STR: pgUrl() });
      expect(await runCli(['force-unlock', info.id, '--env', 'dev'], io), io.err()).toBe(0);
      expect(io.out()).toMatch(new RegExp(`^Removed lock ${info.id} on pg .* state demo/dev \\(taken by apply, pid ${info.pid} on `));
      const lock = await other.lock({ command: 'plan', timeoutMs: 0 });
      expect(lock.notice).toBeNull();
      await lock.release();
    } finally {
      await other.close();
      await cleanup();
    }
  });
});
