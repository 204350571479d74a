/**
 * Runs a dependency graph of tasks with at most `parallelism` at once. A failed task
 * does not stop independent ones; its dependants are skipped. When `shouldStop()` turns
 * true (Ctrl-C), nothing new starts and what is in flight is awaited.
 */
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
  parallelism: number,
  run: (task: T) => Promise<void>,
  shouldStop: () => boolean,
): Promise<PoolOutcome<T>> {
  const outcome: PoolOutcome<T> = { succeeded: [], failed: [], skipped: [], notStarted: [] };
  const state = new Map<string, 'pending' | 'running' | 'ok' | 'failed' | 'skipped'>();
  for (const task of tasks) state.set(task.id, 'pending');
  const running = new Map<string, Promise<void>>();

  const settle = (task: T, ok: boolean, error?: unknown): void => {
    state.set(task.id, ok ? 'ok' : 'failed');
    if (ok) outcome.succeeded.push(task);
    else outcome.failed.push({ task, error });
  };

  for (;;) {
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const task of tasks) {
        if (state.get(task.id) !== 'pending') continue;
        const depStates = task.deps.map((d) => state.get(d) ?? 'ok');
        if (depStates.some((s) => s === 'failed' || s === 'skipped')) {
          state.set(task.id, 'skipped');
          outcome.skipped.push(task);
          progressed = true;
          continue;
        }
        if (shouldStop() || running.size >= parallelism || !depStates.every((s) => s === 'ok')) continue;
        state.set(task.id, 'running');
        running.set(
          task.id,
          run(task).then(
            () => settle(task, true),
            (error: unknown) => settle(task, false, error),
          ).finally(() => running.delete(task.id)),
        );
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  for (const task of tasks) if (state.get(task.id) === 'pending') outcome.notStarted.push(task);
  return outcome;
}
