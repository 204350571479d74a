/**
 * The PostgreSQL lock with real processes: it dies with a killed holder, and force-unlock
 * refuses one held by a runner that froze with its connection still open unless --force
 * (which ends that session). The fixture imports the built output (`npm test` builds first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { LockInfo } from '../../src/state/backend.js';
import { PgStateBackend } from '../../src/state/pg/backend.js';
import { pgConnectionFromEnv } from '../../src/pg-connection.js';
import { adminQuery, dropSchema, freshSchema, pgUrl } from '../support/pg.js';
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

/** Waits until the server has seen the holders' sessions in `schema` end (a killed process's socket closes at once, but is noticed a moment later). */
async function sessionsEnded(name: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  const holding = () => adminQuery(`SELECT 1 FROM "${name}".locks l JOIN pg_stat_activity a ON a.pid = l.backend_pid`);
  while ((await holding()).length > 0) {
    if (Date.now() > deadline) throw new Error('the killed holder\'s session did not end');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
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

  it('force-unlock refuses a lock whose holder froze with its session open (exit 3) unless --force, which ends that session; a dead holder\'s goes without', async () => {
    schema = freshSchema();
    const { child, info } = await holder();
    child.kill('SIGSTOP');
    const { dir } = await makeTempDir();
    const other = backend();
    try {
      await writeFile(join(dir, 'assistants.yaml'), `version: 1\nproject: demo\nbackend: { type: pg, schema: ${schema} }\nassistants: {}\n`);
      const forceUnlock = async (...args: string[]) => {
        const io = fakeIo(dir, { PG_CONN_STR: pgUrl() });
        return { code: await runCli(['force-unlock', ...args, '--env', 'dev'], io), out: io.out(), err: io.err() };
      };
      const session = (await adminQuery<{ backend_pid: number }>(`SELECT backend_pid FROM "${schema}".locks`))[0]?.backend_pid;
      const refused = await forceUnlock(info.id);
      expect(refused.code).toBe(3);
      expect(refused.err).toMatch(
        new RegExp(
          `^Error: pg .* state demo/dev: lock ${info.id} is held by apply \\(pid ${info.pid} on .+\\), which is still running \\(its database session, pid ${session}, still holds the lock\\); wait for it or stop it, or pass --force to end that session and remove the lock\\.\\n$`,
        ),
      );
      const blocked = await other.lock({ command: 'plan' }).catch((error: unknown) => error as UserError);
      expect((blocked as UserError).code).toBe('LOCK_HELD');

      const forced = await forceUnlock(info.id, '--force');
      expect(forced.code, forced.err).toBe(0);
      expect(forced.out).toMatch(new RegExp(`^Removed lock ${info.id} on pg .* state demo/dev \\(taken by apply, pid ${info.pid} on `));
      expect(await adminQuery('SELECT pid FROM pg_stat_activity WHERE pid = $1', [session])).toEqual([]);
      const lock = await other.lock({ command: 'plan', timeoutMs: 0 });
      expect(lock.notice).toBeNull();
      await lock.release();

      // Killed, its session ends with it and holds nothing: its row is removed without --force.
      const dead = await holder();
      const gone = new Promise((resolve) => dead.child.once('exit', resolve));
      dead.child.kill('SIGKILL');
      await gone;
      await sessionsEnded(schema);
      const freed = await forceUnlock(dead.info.id);
      expect(freed.code, freed.err).toBe(0);
      expect(freed.out).toMatch(new RegExp(`^Removed lock ${dead.info.id} on pg `));
    } finally {
      await other.close();
    }
  });
});
