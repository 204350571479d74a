/**
 * The pool that runs the applier's graph (src/apply/pool.ts): the limit on tasks at
 * once, dependency order, a failure kept to its dependants, and a stop.
 */
import { describe, expect, it } from 'vitest';
import { runGraph, type GraphTask } from '../../src/apply/pool.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function tasks(spec: Record<string, string[]>): GraphTask[] {
  return Object.entries(spec).map(([id, deps]) => ({ id, deps }));
}

describe('runGraph', () => {
  it('runs at most `parallelism` tasks at once, and reaches it', async () => {
    let running = 0;
    let most = 0;
    const outcome = await runGraph(
      tasks(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`t${i}`, []]))),
      7,
      async () => {
        most = Math.max(most, ++running);
        await tick();
        running -= 1;
      },
      () => false,
    );
    expect(outcome.succeeded).toHaveLength(40);
    expect(most).toBe(7);
  });

  it('starts a task only after all its dependencies succeeded', async () => {
    const finished: string[] = [];
    await runGraph(
      tasks({ upload: [], create: ['upload'], update: ['upload'], delete: ['create', 'update'] }),
      4,
      async (task) => {
        for (const dep of task.deps) expect(finished).toContain(dep);
        await tick();
        finished.push(task.id);
      },
      () => false,
    );
    expect(finished.at(-1)).toBe('delete');
    expect(finished).toHaveLength(4);
  });

  it('a failure skips its dependants (transitively), not the independent tasks', async () => {
    const outcome = await runGraph(
      tasks({ a: [], b: ['a'], c: ['b'], d: [], e: ['d'], f: ['a', 'd'] }),
      2,
      async (task) => {
        await tick();
        if (task.id === 'a') throw new Error('boom');
      },
      () => false,
    );
    expect(outcome.failed.map((f) => [f.task.id, (f.error as Error).message])).toEqual([['a', 'boom']]);
    expect(outcome.skipped.map((t) => t.id).sort()).toEqual(['b', 'c', 'f']);
    expect(outcome.succeeded.map((t) => t.id).sort()).toEqual(['d', 'e']);
    expect(outcome.notStarted).toEqual([]);
  });

  it('once stopped, starts nothing new and waits for what is in flight', async () => {
    let stop = false;
    const outcome = await runGraph(
      tasks({ a: [], b: [], c: [], d: [], e: ['a'] }),
      2,
      async () => {
        await tick();
        stop = true;
      },
      () => stop,
    );
    expect(outcome.succeeded.map((t) => t.id)).toEqual(['a', 'b']);
    expect(outcome.notStarted.map((t) => t.id)).toEqual(['c', 'd', 'e']);
  });

  it('ignores a dependency outside the graph and a repeated one', async () => {
    const outcome = await runGraph(tasks({ a: ['elsewhere'], b: ['a', 'a'] }), 1, async () => tick(), () => false);
    expect(outcome.succeeded.map((t) => t.id)).toEqual(['a', 'b']);
  });
});
