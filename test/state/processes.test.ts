/**
 * Locking and crash safety with real processes. The fixtures import the built output,
 * so `npm run build` must have run (`npm test` does).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LockInfo } from '../../src/state/backend.js';
import { LocalStateBackend } from '../../src/state/local-backend.js';
import { sampleState } from './sample.js';
import { makeTempDir } from '../support/temp-dir.js';
import { runCli, waitForOutput } from '../e2e/cli.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const BUILT = fileURLToPath(new URL('../../dist/state/local-backend.js', import.meta.url));

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();

function start(script: string, args: string[]): ChildProcess {
  const child = spawn(process.execPath, [fixture(script), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function finished(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const end = buffered.indexOf('\n');
      if (end >= 0) resolve(buffered.slice(0, end));
    });
    child.on('exit', (code) => reject(new Error(`fixture exited (${code}) before printing: ${stderr}`)));
  });
}

async function run(script: string, args: string[]): Promise<Finished> {
  return finished(start(script, args));
}

describe('state with real processes', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let path: string;

  beforeAll(() => {
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run "npm run build" before these tests`);
  });
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir());
    path = join(dir, 'state', 'dev.json');
  });
  afterEach(async () => {
    for (const child of children) child.kill('SIGKILL');
    await cleanup();
  });

  it('a second process gets LOCK_HELD naming the first; after release it gets the lock', async () => {
    const holder = start('lock-holder.mjs', [path, 'apply']);
    const info = JSON.parse(await firstLine(holder)) as LockInfo;
    expect(info.pid).toBe(holder.pid);
    const blocked = await run('lock-try.mjs', [path, '0']);
    expect(JSON.parse(blocked.stdout)).toEqual({
      ok: false,
      code: 'LOCK_HELD',
      message: `State is locked by apply (pid ${info.pid} on ${hostname()} since ${info.createdAt}, lock ID ${info.id}). Wait for it, or if that process is gone run: assistants force-unlock ${info.id}`,
    });
    const waiter = start('lock-try.mjs', [path, '10000']);
    const waiting = finished(waiter);
    // Released only once the second process says it waits for the first, so it really waits.
    await waitForOutput(waiter.stderr!, new RegExp(`^waiting for pid ${info.pid}\n`));
    const holderDone = finished(holder);
    holder.stdin?.end();
    expect((await holderDone).code).toBe(0);
    expect(JSON.parse((await waiting).stdout)).toEqual({ ok: true, notice: null });
  });

  it('three processes incrementing a counter under the lock never lose an update', async () => {
    const counter = join(dir, 'counter');
    await writeFile(counter, '0');
    const results = await Promise.all([1, 2, 3].map(() => run('lock-counter.mjs', [path, counter, '15'])));
    for (const result of results) expect(result.stderr).toBe('');
    expect(await readFile(counter, 'utf8')).toBe('45');
  });

  it('takes over the lock of a killed process, with a notice; several racing for it never both win', async () => {
    const holder = start('lock-holder.mjs', [path, 'apply']);
    const info = JSON.parse(await firstLine(holder)) as LockInfo;
    const gone = finished(holder);
    holder.kill('SIGKILL');
    await gone;
    const counter = join(dir, 'counter');
    await writeFile(counter, '0');
    const racers = await Promise.all([1, 2, 3].map(() => run('lock-counter.mjs', [path, counter, '5'])));
    for (const racer of racers) expect(racer.stderr).toBe('');
    expect(await readFile(counter, 'utf8')).toBe('15');

    const again = start('lock-holder.mjs', [path, 'apply']);
    const second = JSON.parse(await firstLine(again)) as LockInfo;
    const done = finished(again);
    again.kill('SIGKILL');
    await done;
    const lock = await new LocalStateBackend(path).lock({ command: 'plan' });
    expect(lock.notice).toBe(
      `Took over the state lock left by apply (pid ${second.pid} on ${hostname()} since ${second.createdAt}, lock ID ${second.id}): that process is gone.`,
    );
    expect(info.id).not.toBe(second.id);
    await lock.release();
  });

  it('does not take over a lock held on another host', async () => {
    const holder = start('lock-holder.mjs', [path, 'apply']);
    const info = JSON.parse(await firstLine(holder)) as LockInfo;
    const gone = finished(holder);
    holder.kill('SIGKILL');
    await gone;
    await writeFile(`${path}.lock`, JSON.stringify({ ...info, host: 'ci-runner-7' }));
    const tried = await run('lock-try.mjs', [path, '0']);
    expect(JSON.parse(tried.stdout)).toMatchObject({ ok: false, code: 'LOCK_HELD' });
    expect(JSON.parse(tried.stdout).message).toContain(`on ci-runner-7`);
    await new LocalStateBackend(path).forceUnlock(info.id);
    expect(JSON.parse((await run('lock-try.mjs', [path, '0'])).stdout)).toEqual({ ok: true, notice: null });
  });

  it('force-unlock refuses the lock of a running holder (exit 3) unless --force, and frees a dead one\'s', async () => {
    const cli = (...args: string[]) => runCli(['force-unlock', ...args, '--state', path], { cwd: dir });
    const holder = start('lock-holder.mjs', [path, 'apply']);
    const info = JSON.parse(await firstLine(holder)) as LockInfo;
    const refused = await cli(info.id);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toBe(
      `Error: ${path}.lock: lock ${info.id} is held by apply (pid ${info.pid} on ${hostname()} since ${info.createdAt}, lock ID ${info.id}), which is still running on this host; wait for it or stop it, or pass --force to remove the lock anyway.\n`,
    );
    expect(existsSync(`${path}.lock`)).toBe(true);
    const forced = await cli(info.id, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(existsSync(`${path}.lock`)).toBe(false);

    const second = start('lock-holder.mjs', [path, 'apply']);
    const dead = JSON.parse(await firstLine(second)) as LockInfo;
    const gone = finished(second);
    second.kill('SIGKILL');
    await gone;
    const freed = await cli(dead.id);
    expect(freed.code, freed.stderr).toBe(0);
    expect(freed.stdout).toMatch(new RegExp(`^Removed lock ${dead.id} `));
  });

  it('a process killed while writing the state never leaves it unreadable', async () => {
    await new LocalStateBackend(path).write(sampleState());
    for (let round = 0; round < 6; round += 1) {
      const writer = start('state-writer.mjs', [path]);
      await firstLine(writer);
      await new Promise((resolve) => setTimeout(resolve, 40 + round * 37));
      const done = finished(writer);
      writer.kill('SIGKILL');
      expect((await done).signal).toBe('SIGKILL');
      const state = await new LocalStateBackend(path).read();
      expect(state?.lineage).toBeDefined();
    }
    expect(((await new LocalStateBackend(path).read())?.serial ?? 0)).toBeGreaterThan(1);
  });

  it('a process killed while appending to the journal leaves every acknowledged entry readable', async () => {
    await new LocalStateBackend(path).write(sampleState());
    let acknowledged = 0;
    for (let round = 0; round < 4; round += 1) {
      const writer = start('journal-writer.mjs', [path]);
      const done = finished(writer);
      await firstLine(writer);
      await new Promise((resolve) => setTimeout(resolve, 20 + round * 29));
      writer.kill('SIGKILL');
      const counts = (await done).stdout.trim().split('\n').map(Number);
      acknowledged += counts.at(-1) ?? 0;
      const { entries } = await new LocalStateBackend(path).readJournal();
      expect(entries.length).toBeGreaterThanOrEqual(acknowledged);
      acknowledged = entries.length;
    }
    expect(acknowledged).toBeGreaterThan(8);
  });
});
