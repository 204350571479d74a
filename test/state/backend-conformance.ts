/**
 * The contract every StateBackend keeps. A backend's test file calls
 * `runBackendConformance` with a factory; each test gets fresh, empty storage.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import type { LockInfo, StateBackend } from '../../src/state/backend.js';
import { applyJournal, type JournalEntry } from '../../src/state/journal.js';
import { describeHolder } from '../../src/state/lock-holder.js';
import { replayJournal } from '../../src/state/recover.js';
import { AT, created, hashes, sampleState, sha, uploaded } from './sample.js';

export interface BackendUnderTest {
  backend: StateBackend;
  /** Another handle on the same storage, as a second process would open it. */
  reopen(): StateBackend;
  /** The environment whose state `backend` holds. */
  environment: string;
  cleanup(): Promise<void>;
}

async function rejection(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

export function runBackendConformance(name: string, create: () => Promise<BackendUnderTest>): void {
  describe(`StateBackend contract: ${name}`, () => {
    let current: BackendUnderTest | undefined;
    const open = async (): Promise<BackendUnderTest> => {
      current = await create();
      return current;
    };
    afterEach(async () => {
      await current?.cleanup();
      current = undefined;
    });

    it('reads null and an empty journal before anything is written', async () => {
      const { backend } = await open();
      expect(await backend.read()).toBeNull();
      expect(await backend.readJournal()).toEqual({ entries: [], tornTail: false });
      expect(backend.location.length).toBeGreaterThan(0);
    });

    it('writes with serial + 1 and reads back what it wrote', async () => {
      const { backend, reopen } = await open();
      const state = sampleState();
      const written = await backend.write(state);
      expect(written).toEqual({ ...state, serial: 1 });
      expect(state.serial).toBe(0);
      expect(await backend.read()).toEqual(written);
      expect(await reopen().read()).toEqual(written);
      const again = await backend.write(written);
      expect(again.serial).toBe(2);
      expect((await backend.read())?.serial).toBe(2);
    });

    it('refuses a state of another lineage', async () => {
      const { backend } = await open();
      await backend.write(sampleState());
      const error = await rejection(backend.write(sampleState()));
      expect(error.code).toBe('STATE');
      expect(error.message).toMatch(/lineage/);
    });

    it('refuses a write made from an outdated read', async () => {
      const { backend, reopen } = await open();
      const first = await backend.write(sampleState());
      const other = reopen();
      const readByOther = await other.read();
      await backend.write(first);
      const error = await rejection(other.write(readByOther ?? first));
      expect(error.code).toBe('STATE');
      expect(error.message).toMatch(/changed since it was read/);
      expect((await backend.read())?.serial).toBe(2);
    });

    it('writes over another lineage or a newer serial only when told to replace, above every serial stored', async () => {
      const { backend } = await open();
      const stored = await backend.write(await backend.write(sampleState()));
      const other = { ...sampleState(), assistants: {} };
      const replaced = await backend.write(other, { replace: true });
      expect(replaced).toEqual({ ...other, serial: stored.serial + 1 });
      expect(await backend.read()).toEqual(replaced);
      const older = await backend.write({ ...replaced, serial: 0 }, { replace: true });
      expect(older.serial).toBe(replaced.serial + 1);
    });

    it('keeps the test results, keyed by any name', async () => {
      const { backend, reopen } = await open();
      const record = { id: 'asst_support', fields: hashes('t'), contentHash: sha('c'), asApplied: true, outcome: 'passed', tests: { constructor: 'passed' }, manifestHash: sha('m'), testedAt: AT, toolVersion: '0.1.0' } as const;
      const written = await backend.write({ ...sampleState(), testResults: { ['__proto__']: record } });
      const read = await reopen().read();
      expect(read).toEqual(written);
      expect(Object.keys(read?.testResults ?? {})).toEqual(['__proto__']);
    });

    it('deletes the state with its journal and every serial kept: read as never written, and written again from serial 1', async () => {
      const { backend, reopen, environment } = await open();
      expect(await backend.environments()).toEqual([]);
      await backend.write(await backend.write(sampleState()));
      await backend.appendJournal(created('new', 'asst_new'));
      expect(await reopen().environments()).toEqual([environment]);
      const lock = await backend.lock({ command: 'test --ephemeral' });
      await backend.delete();
      await lock.release();
      const other = reopen();
      expect(await other.read()).toBeNull();
      expect(await other.readJournal()).toEqual({ entries: [], tornTail: false });
      expect((await other.history?.list()) ?? []).toEqual([]);
      expect(await other.environments()).toEqual([]);
      await other.delete();
      await (await other.lock({ command: 'apply' })).release();
      expect((await other.write(sampleState())).serial).toBe(1);
    });

    it('refuses to write an invalid state and keeps the stored one', async () => {
      const { backend } = await open();
      const good = await backend.write(sampleState());
      const bad = { ...good, assistants: { x: { id: '', applied: hashes('x'), updatedAt: 'yesterday' } } };
      await expect(backend.write(bad)).rejects.toThrow(/invalid state/);
      expect(await backend.read()).toEqual(good);
    });

    it('journals entries in order without touching the state, and clears them', async () => {
      const { backend, reopen } = await open();
      const state = await backend.write(sampleState());
      const entries: JournalEntry[] = [
        created('new', 'asst_new'),
        uploaded('notes', 'file-notes'),
        { op: 'assistant.deleted', key: 'billing', id: 'asst_billing', at: '2026-01-02T03:04:06.000Z' },
      ];
      for (const entry of entries) await backend.appendJournal(entry);
      expect(await backend.read()).toEqual(state);
      expect(await reopen().readJournal()).toEqual({ entries, tornTail: false });
      await backend.clearJournal();
      expect(await backend.readJournal()).toEqual({ entries: [], tornTail: false });
      await backend.clearJournal();
    });

    it('keeps every one of many concurrent appends', async () => {
      const { backend } = await open();
      await backend.write(sampleState());
      const entries = Array.from({ length: 60 }, (_, i) => created(`k${i}`, `asst_${i}`));
      await Promise.all(entries.map((entry) => backend.appendJournal(entry)));
      const { entries: read } = await backend.readJournal();
      expect(read).toHaveLength(60);
      expect(new Set(read.map((e) => (e.op === 'assistant.created' ? e.key : '')))).toEqual(new Set(entries.map((_, i) => `k${i}`)));
    });

    it('rejects a malformed journal entry', async () => {
      const { backend } = await open();
      await backend.write(sampleState());
      const bad = { op: 'assistant.created', key: 'k', id: 'asst_1', at: 'now' } as unknown as JournalEntry;
      await expect(backend.appendJournal(bad)).rejects.toThrow(/invalid journal entry/);
      expect((await backend.readJournal()).entries).toEqual([]);
    });

    it('replays a leftover journal once: folded, written, cleared; replaying again changes nothing', async () => {
      const { backend } = await open();
      const stored = await backend.write(sampleState());
      const entries = [created('new', 'asst_new'), uploaded('notes', 'file-notes')];
      for (const entry of entries) await backend.appendJournal(entry);
      const replay = await replayJournal(backend);
      expect(replay.replayed).toBe(2);
      expect(replay.state).toEqual({ ...applyJournal(stored, entries), serial: 2 });
      expect(await backend.read()).toEqual(replay.state);
      expect((await backend.readJournal()).entries).toEqual([]);
      expect(await replayJournal(backend)).toEqual({ state: replay.state, replayed: 0, tornTail: false });
    });

    it('replaying a journal already folded (crash before clearing) gives the same records', async () => {
      const { backend } = await open();
      const stored = await backend.write(sampleState());
      const entries = [created('new', 'asst_new'), { op: 'assistant.deleted', key: 'support', id: 'asst_support', at: '2026-01-02T03:04:06.000Z' } as const];
      for (const entry of entries) await backend.appendJournal(entry);
      const folded = await backend.write(applyJournal(stored, entries));
      const replay = await replayJournal(backend);
      expect(replay.state?.assistants).toEqual(folded.assistants);
      expect(replay.state?.files).toEqual(folded.files);
    });

    it('refuses to replay a journal with no state to fold it into', async () => {
      const { backend } = await open();
      await backend.appendJournal(created('new', 'asst_new'));
      const error = await rejection(replayJournal(backend));
      expect(error.message).toMatch(/journal of 1 operation\(s\) exists but the state does not/);
    });

    it('lets one holder have the lock; another gets LOCK_HELD naming the holder', async () => {
      const { backend, reopen } = await open();
      const lock = await backend.lock({ command: 'apply' });
      expect(lock.notice).toBeNull();
      expect(lock.info).toMatchObject({ pid: process.pid, command: 'apply' });
      expect(lock.info.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(lock.info.who.length).toBeGreaterThan(0);
      expect(Number.isNaN(Date.parse(lock.info.createdAt))).toBe(false);
      const error = await rejection(reopen().lock({ command: 'plan', timeoutMs: 0 }));
      expect(error.code).toBe('LOCK_HELD');
      expect(error.message).toBe(
        `State is locked by apply (pid ${process.pid} on ${lock.info.host} since ${lock.info.createdAt}, lock ID ${lock.info.id}). ` +
          `Wait for it, or if that process is gone run: assistants force-unlock ${lock.info.id}`,
      );
      await lock.release();
    });

    it('releases idempotently, and the lock can be taken again', async () => {
      const { backend, reopen } = await open();
      const lock = await backend.lock({ command: 'apply' });
      await lock.release();
      await lock.release();
      const second = await reopen().lock({ command: 'apply' });
      await lock.release();
      const error = await rejection(backend.lock({ command: 'apply' }));
      expect(error.code).toBe('LOCK_HELD');
      await second.release();
    });

    it('waits up to the timeout for a held lock, saying once whom it waits for', async () => {
      const { backend, reopen } = await open();
      const lock = await backend.lock({ command: 'apply' });
      setTimeout(() => void lock.release(), 150);
      const started = Date.now();
      const waitedFor: LockInfo[] = [];
      const second = await reopen().lock({ command: 'apply', timeoutMs: 5_000, onWait: (holder) => waitedFor.push(holder) });
      expect(Date.now() - started).toBeGreaterThanOrEqual(100);
      expect(waitedFor).toEqual([lock.info]);
      await second.release();
    });

    it('stops waiting for a held lock when its signal aborts (a Ctrl-C), leaving the lock to its holder', async () => {
      const { backend, reopen } = await open();
      const lock = await backend.lock({ command: 'apply' });
      const waiter = reopen();
      const stop = new AbortController();
      // Aborted once it waits; without the abort it would wait the 20 s and fail with LOCK_HELD.
      const interrupted = await rejection(waiter.lock({ command: 'plan', timeoutMs: 20_000, signal: stop.signal, onWait: () => setTimeout(() => stop.abort(), 100) }));
      expect(interrupted.code).toBe('INTERRUPTED');
      expect(interrupted.message).toBe(`Interrupted while waiting for the state lock held by ${describeHolder(lock.info)}; nothing was changed.`);
      expect((await rejection(reopen().lock({ command: 'plan' }))).code).toBe('LOCK_HELD');
      await lock.release();
      const next = await waiter.lock({ command: 'plan' });
      await next.release();
    });

    it('closes idempotently, and what was written stays', async () => {
      const { backend, reopen } = await open();
      const written = await backend.write(sampleState());
      await backend.close();
      await backend.close();
      expect(await reopen().read()).toEqual(written);
    });

    it('gives up after the timeout', async () => {
      const { backend, reopen } = await open();
      const lock = await backend.lock({ command: 'apply' });
      const started = Date.now();
      const error = await rejection(reopen().lock({ command: 'apply', timeoutMs: 300 }));
      expect(error.code).toBe('LOCK_HELD');
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      await lock.release();
    });

    it('force-unlocks only the lock with the given id, and while its holder still runs only with force', async () => {
      const { backend, reopen } = await open();
      const lock = await backend.lock({ command: 'apply' });
      const wrong = await rejection(reopen().forceUnlock('00000000-0000-0000-0000-000000000000'));
      expect(wrong.code).toBe('STATE');
      expect(wrong.message).toMatch(/nothing was removed/);
      expect((await rejection(reopen().lock({ command: 'plan' }))).code).toBe('LOCK_HELD');
      // Its holder (this process, its session) is still running: removing it needs force.
      const alive = await rejection(reopen().forceUnlock(lock.info.id));
      expect(alive.code).toBe('LOCK_HELD');
      expect(alive.message).toContain(`: lock ${lock.info.id} is held by ${describeHolder(lock.info)}, which is still running `);
      expect(alive.message).toMatch(/; wait for it or stop it, or pass --force to .+\.$/);
      expect((await rejection(reopen().lock({ command: 'plan' }))).code).toBe('LOCK_HELD');
      const removed = await reopen().forceUnlock(lock.info.id, { force: true });
      expect(removed).toEqual(lock.info);
      const next = await reopen().lock({ command: 'apply' });
      // The old holder's release must not remove the new holder's lock.
      await lock.release();
      expect((await rejection(backend.lock({ command: 'plan' }))).code).toBe('LOCK_HELD');
      await next.release();
      const none = await rejection(backend.forceUnlock(lock.info.id, { force: true }));
      expect(none.message).toMatch(/no lock/);
    });
  });
}
