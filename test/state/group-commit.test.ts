/**
 * Group commit (src/state/group-commit.ts), the journal's durability rule: appends that
 * come together share one flush, and none is reported done before its flush finished.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/state/group-commit.js';
import { JournalFile } from '../../src/state/journal-file.js';
import type { JournalEntry } from '../../src/state/journal.js';
import { makeTempDir } from '../support/temp-dir.js';

/** A flush that waits until released, recording each batch. */
function gatedFlush(): { flush: (items: number[]) => Promise<void>; batches: number[][]; release: (error?: Error) => void } {
  const batches: number[][] = [];
  let open: Array<(error?: Error) => void> = [];
  return {
    batches,
    flush: (items) =>
      new Promise<void>((resolve, reject) => {
        batches.push(items);
        open.push((error) => (error ? reject(error) : resolve()));
      }),
    release: (error) => {
      const waiting = open;
      open = [];
      for (const done of waiting) done(error);
    },
  };
}

const settled = async (promises: Array<Promise<void>>): Promise<boolean[]> => {
  const state = promises.map(() => false);
  promises.forEach((p, i) => void p.then(() => (state[i] = true), () => (state[i] = true)));
  await new Promise((resolve) => setTimeout(resolve, 5));
  return state;
};

describe('GroupCommit', () => {
  it('appends of one moment share a flush; those during it share the next; none is done before its flush', async () => {
    const gate = gatedFlush();
    const commit = new GroupCommit(gate.flush);
    const first = [1, 2, 3].map((n) => commit.add(n));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(gate.batches).toEqual([[1, 2, 3]]);
    const second = [4, 5].map((n) => commit.add(n));
    expect(await settled([...first, ...second])).toEqual([false, false, false, false, false]);
    gate.release();
    expect(await settled([...first, ...second])).toEqual([true, true, true, false, false]);
    expect(gate.batches).toEqual([[1, 2, 3], [4, 5]]);
    gate.release();
    await Promise.all(second);
  });

  it('a failed flush rejects its own appends only', async () => {
    const gate = gatedFlush();
    const commit = new GroupCommit(gate.flush);
    const failing = commit.add(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const next = commit.add(2);
    gate.release(new Error('disk full'));
    await expect(failing).rejects.toThrow('disk full');
    await new Promise((resolve) => setTimeout(resolve, 5));
    gate.release();
    await expect(next).resolves.toBeUndefined();
    expect(gate.batches).toEqual([[1], [2]]);
  });
});

describe('JournalFile', () => {
  it('100 appends at once share one write; each resolves with its record, and all before it, in the file', async () => {
    const temp = await makeTempDir();
    const journal = new JournalFile(join(temp.dir, 'state', 'default.journal'));
    const entries: JournalEntry[] = Array.from({ length: 100 }, (_, i) => ({ op: 'assistant.deleted', key: `k${i}`, id: `asst_${i}`, at: '2026-01-02T03:04:05.000Z' }));
    const lines: number[] = [];
    await Promise.all(
      entries.map(async (entry) => {
        await journal.append(entry);
        // Resolved: the record is on disk, with every one appended before it.
        lines.push((await readFile(journal.path, 'utf8')).split('\n').filter(Boolean).length);
      }),
    );
    expect((await journal.read()).entries).toEqual(entries);
    expect(Math.min(...lines)).toBe(100);
    await journal.close();
    await temp.cleanup();
  });

  it('stays open between appends until cleared or closed: a cleared journal starts empty, a closed one opens again', async () => {
    const temp = await makeTempDir();
    const journal = new JournalFile(join(temp.dir, 'state', 'default.journal'));
    const entry = (key: string): JournalEntry => ({ op: 'assistant.deleted', key, id: `asst_${key}`, at: '2026-01-02T03:04:05.000Z' });
    await journal.append(entry('a'));
    await journal.append(entry('b'));
    await journal.clear();
    expect((await journal.read()).entries).toEqual([]);
    await journal.append(entry('c'));
    await journal.close();
    await journal.close();
    await journal.append(entry('d'));
    expect((await journal.read()).entries).toEqual([entry('c'), entry('d')]);
    await journal.close();
    await temp.cleanup();
  });
});
