import type { Collection, Store } from '../store.js';
import type { FileCitationDelta } from './citations.js';
import type { ToolResult } from './turn-input.js';
import type { MessageObject, RunObject, RunStepObject, ThreadObject, Usage } from './objects.js';
import { isActiveRun } from './objects.js';

/**
 * The thread collections in the store, and the queries the routes and the engine share.
 * Message files are not stored separately: they are a message's `file_ids`.
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
   * phase. Found set after a restart, it means the server died executing this run: the
   * run then fails instead of being executed again (and again).
   */
  executing?: boolean;
}

export class ThreadData {
  readonly threads: Collection<ThreadObject>;
  readonly messages: Collection<MessageObject>;
  readonly runs: Collection<RunObject>;
  readonly steps: Collection<RunStepObject>;
  readonly progress: Collection<RunProgress>;

  constructor(store: Store) {
    this.threads = store.collection<ThreadObject>('threads');
    this.messages = store.collection<MessageObject>('messages');
    this.runs = store.collection<RunObject>('runs');
    this.steps = store.collection<RunStepObject>('run_steps');
    this.progress = store.collection<RunProgress>('run_progress');
  }

  threadMessages(threadId: string): MessageObject[] {
    return this.messages.filter((message) => message.thread_id === threadId);
  }

  threadRuns(threadId: string): RunObject[] {
    return this.runs.filter((run) => run.thread_id === threadId);
  }

  runSteps(runId: string): RunStepObject[] {
    return this.steps.filter((step) => step.run_id === runId);
  }

  activeRun(threadId: string): RunObject | undefined {
    return this.runs.filter((run) => run.thread_id === threadId && isActiveRun(run))[0];
  }

  /** Deletes a thread with its messages, runs, steps and run progress; returns the run ids. */
  deleteThread(threadId: string): string[] {
    const runIds = this.threadRuns(threadId).map((run) => run.id);
    const runSet = new Set(runIds);
    this.steps.deleteWhere((step) => runSet.has(step.run_id));
    this.progress.deleteWhere((progress) => runSet.has(progress.id));
    this.runs.deleteWhere((run) => run.thread_id === threadId);
    this.messages.deleteWhere((message) => message.thread_id === threadId);
    this.threads.delete(threadId);
    return runIds;
  }
}
