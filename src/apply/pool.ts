/**
 * Runs a dependency graph of tasks with at most `parallelism` at once (a number, or a
 * capacity read again before each start, which wakes the pool when it grows: apply's
 * adaptive one, concurrency.ts). A failed task
 * does not stop independent ones; its dependants are skipped. When `shouldStop()` turns
 * true (Ctrl-C), nothing new starts and what is in flight is awaited.
 *
 * Each task keeps a count of unfinished dependencies and enters a FIFO ready queue when
 * it reaches zero, so scheduling costs O(tasks + edges) in all, whatever the order of
 * completions.
 */
import type { PoolCapacity } from './concurrency.js';

export interface GraphTask {
  id: string;
  deps: string[];
}

export interface PoolOutcome<T extends GraphTask> {
  succeeded: T[];
  failed: Array<{ task: T; error: unknown }>;
  /** Not started: a dependency failed or was skipped. */
  skipped: T[];
  /** Not started because the run was stopped. */
  notStarted: T[];
}

export async function runGraph<T extends GraphTask>(
  tasks: readonly T[],
  parallelism: number | PoolCapacity,
  run: (task: T) => Promise<void>,
  shouldStop: () => boolean,
): Promise<PoolOutcome<T>> {
  const outcome: PoolOutcome<T> = { succeeded: [], failed: [], skipped: [], notStarted: [] };
  const limit = typeof parallelism === 'number' ? () => parallelism : () => parallelism.slots;
  const changed = typeof parallelism === 'number' ? () => new Promise<void>(() => undefined) : () => parallelism.changed();
  const known = new Set(tasks.map((task) => task.id));
  const unfinishedDeps = new Map<string, number>();
  const dependants = new Map<string, T[]>();
  const ready: T[] = [];
  for (const task of tasks) {
    // A dependency outside the graph has nothing to wait for.
    const deps = [...new Set(task.deps)].filter((dep) => known.has(dep));
    unfinishedDeps.set(task.id, deps.length);
    for (const dep of deps) {
      const list = dependants.get(dep);
      if (list === undefined) dependants.set(dep, [task]);
      else list.push(task);
    }
    if (deps.length === 0) ready.push(task);
  }

  const settled = new Set<string>();
  const skipDependantsOf = (id: string): void => {
    for (const dependant of dependants.get(id) ?? []) {
      if (settled.has(dependant.id)) continue;
      settled.add(dependant.id);
      outcome.skipped.push(dependant);
      skipDependantsOf(dependant.id);
    }
  };
  const finish = (task: T, error: unknown, ok: boolean): void => {
    settled.add(task.id);
    if (!ok) {
      outcome.failed.push({ task, error });
      skipDependantsOf(task.id);
      return;
    }
    outcome.succeeded.push(task);
    for (const dependant of dependants.get(task.id) ?? []) {
      const left = (unfinishedDeps.get(dependant.id) ?? 1) - 1;
      unfinishedDeps.set(dependant.id, left);
      if (left === 0 && !settled.has(dependant.id)) ready.push(dependant);
    }
  };

  let running = 0;
  let wake = (): void => undefined;
  let next = 0;
  for (;;) {
    while (!shouldStop() && running < limit() && next < ready.length) {
      const task = ready[next++] as T;
      if (settled.has(task.id)) continue;
      running += 1;
      void run(task)
        .then(
          () => finish(task, undefined, true),
          (error: unknown) => finish(task, error, false),
        )
        .finally(() => {
          running -= 1;
          wake();
        });
    }
    if (running === 0) break;
    // Until a task ends or the capacity changes.
    await new Promise<void>((resolve) => {
      wake = resolve;
      void changed().then(resolve);
    });
  }
  for (const task of tasks) if (!settled.has(task.id)) outcome.notStarted.push(task);
  return outcome;
}
