import type { StoreReader, StoreWriter } from '../store/store.js';
import type { FileCitationDelta } from './citations.js';
import type { ToolResult } from './turn-input.js';
import type { MessageObject, RunObject, RunStepObject, Usage } from './objects.js';
import { isActiveRun } from './objects.js';

/**
 * The run progress record, and the queries of the thread collections that the routes and
 * the engine share. Message files are not stored separately: they are a message's `file_ids`.
 */

/** Where the engine is in a run; persisted so a restarted server carries on. */
export type RunPhase = 'start' | 'think' | 'tool' | 'write' | 'await_outputs' | 'cancel';

export interface RunProgress {
  /** The run's id. */
  id: string;
  phase: RunPhase;
  /** Tool calls of earlier turns with their results, as the model sees them. */
  tool_results: ToolResult[];
  /** Results of code_interpreter / retrieval calls waiting for the `tool` phase to record them. */
  pending_results: ToolResult[];
  prompt_tokens: number;
  completion_tokens: number;
  /** The step being worked on, and the usage of the model turn that made it. */
  step_id: string | null;
  step_usage: Usage | null;
  /** The message being written in the `write` phase, its remaining text in chunks. */
  message_id: string | null;
  chunks: string[];
  /** The citations of the whole message being written (each chunk streams those it holds). */
  annotations?: FileCitationDelta[];
  incomplete: boolean;
  /**
   * Set, and made durable, before the model runs for a `think` phase; cleared by the next
   * phase. Found set by a server that claims the run (after a restart, or from a replica
   * that died), it means the server died executing this run: the run is executed again
   * only while `executions` stays under the engine's limit, else it fails, so a run that
   * kills servers cannot do so forever.
   */
  executing?: boolean;
  /** How many times the model's turn was started (older records: absent, counted as 1 when `executing`). */
  executions?: number;
}

/** The messages of a thread, oldest first. */
export function threadMessages(reader: StoreReader, threadId: string): Promise<MessageObject[]> {
  return reader.list('messages', { thread_id: threadId });
}

export function runSteps(reader: StoreReader, runId: string): Promise<RunStepObject[]> {
  return reader.list('run_steps', { run_id: runId });
}

export async function activeRun(reader: StoreReader, threadId: string): Promise<RunObject | undefined> {
  return (await reader.list('runs', { thread_id: threadId })).find(isActiveRun);
}

/**
 * Deletes a thread with its messages, runs, steps and run progress; the streams of its
 * active runs end with an `error` event. Returns the ids of its runs.
 */
export async function deleteThread(tx: StoreWriter, threadId: string): Promise<string[]> {
  const runs = await tx.list('runs', { thread_id: threadId });
  for (const run of runs) {
    // The progress first: a replica advancing the run holds it, and takes the run after it.
    await tx.delete('run_progress', run.id);
    if (isActiveRun(run)) {
      await tx.emit(run.id, {
        event: 'error',
        data: { message: `The thread ${threadId} was deleted while its run was streaming.`, type: 'invalid_request_error', param: null, code: null },
      });
    }
    await tx.deleteWhere('run_steps', { run_id: run.id });
    await tx.delete('runs', run.id);
  }
  await tx.deleteWhere('messages', { thread_id: threadId });
  await tx.delete('threads', threadId);
  return runs.map((run) => run.id);
}
