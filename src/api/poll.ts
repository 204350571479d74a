/**
 * `pollRun`: waits for a run to settle, i.e. reach a terminal status or
 * `requires_action`, by polling `getRun`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AssistantsApi, AssistantsApiGetRunRequest } from './assistants-api.js';
import type { RunObject, RunStatus } from './thread-models.js';

export const SETTLED_RUN_STATUSES: ReadonlySet<RunStatus> = new Set<RunStatus>([
  'requires_action',
  'completed',
  'failed',
  'cancelled',
  'expired',
]);

export interface PollRunOptions {
  /** Between two polls (default 500 ms). */
  intervalMs?: number;
  /** Give up after this long (default 120000 ms). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class RunPollTimeoutError extends Error {
  override name = 'RunPollTimeoutError';
  constructor(
    readonly run: RunObject,
    readonly timeoutMs: number,
  ) {
    super(
      `Run ${run.id} on thread ${run.threadId} was still '${run.status}' after ${timeoutMs} ms; poll again later or cancel it with cancelRun.`,
    );
  }
}

export async function pollRun(
  api: AssistantsApi,
  request: AssistantsApiGetRunRequest,
  options: PollRunOptions = {},
): Promise<RunObject> {
  const intervalMs = options.intervalMs ?? 500;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  const callOptions = options.signal ? { signal: options.signal } : undefined;
  for (;;) {
    const run = await api.getRun({ threadId: request.threadId, runId: request.runId }, callOptions);
    if (SETTLED_RUN_STATUSES.has(run.status)) return run;
    const left = deadline - Date.now();
    if (left <= 0) throw new RunPollTimeoutError(run, timeoutMs);
    await sleep(Math.min(intervalMs, left), undefined, callOptions);
  }
}
