/**
 * The records a run changes as it goes (the run, its steps, the message it writes, its
 * progress) and the stream events that report each change, in the official order. The
 * run engine and a chat upstream's turn (chat-turn.ts) both write through it, so a step
 * or a message is made, streamed and ended the same way whichever model runs.
 */
import { ID_PREFIX, newId, nowSeconds } from '../ids.js';
import type { CitedPiece, FileCitation } from './citations.js';
import type { RunProgress, ThreadData } from './data.js';
import type { AssistantStreamEvent, RunEventBus } from './events.js';
import type {
  MessageIncompleteReason,
  MessageObject,
  RunObject,
  RunStepObject,
  StepDetails,
  StepToolCallDelta,
  Usage,
} from './objects.js';

export class RunRecords {
  constructor(
    readonly data: ThreadData,
    private readonly bus: RunEventBus,
  ) {}

  emit(threadId: string, event: AssistantStreamEvent): void {
    this.bus.publish(threadId, event);
  }

  updateRun(id: string, patch: Partial<RunObject>): RunObject {
    const updated = this.data.runs.update(id, (current) => ({ ...current, ...patch }));
    if (updated === undefined) throw new Error(`run ${id} vanished`);
    return updated;
  }

  /** Changes the run's progress; a new phase clears `executing`. */
  setProgress(id: string, patch: Partial<RunProgress>): void {
    const cleared = patch.phase !== undefined && patch.executing === undefined ? { executing: false } : {};
    this.data.progress.update(id, (current) => ({ ...current, ...cleared, ...patch }));
  }

  insertStep(run: RunObject, details: StepDetails): RunStepObject {
    return this.data.steps.insert({
      id: newId(ID_PREFIX.step),
      object: 'thread.run.step',
      created_at: nowSeconds(),
      assistant_id: run.assistant_id,
      thread_id: run.thread_id,
      run_id: run.id,
      type: details.type,
      status: 'in_progress',
      step_details: details,
      last_error: null,
      expired_at: null,
      cancelled_at: null,
      failed_at: null,
      completed_at: null,
      metadata: null,
      usage: null,
    });
  }

  updateStep(id: string, change: (current: RunStepObject) => Partial<RunStepObject>): RunStepObject {
    const updated = this.data.steps.update(id, (current) => ({ ...current, ...change(current) }));
    if (updated === undefined) throw new Error(`run step ${id} vanished`);
    return updated;
  }

  /** A `tool_calls` step, announced (created, in progress); its calls follow as deltas. */
  startToolStep(run: RunObject): RunStepObject {
    const step = this.insertStep(run, { type: 'tool_calls', tool_calls: [] });
    this.emit(run.thread_id, { event: 'thread.run.step.created', data: step });
    this.emit(run.thread_id, { event: 'thread.run.step.in_progress', data: step });
    return step;
  }

  emitToolCallDelta(threadId: string, stepId: string, delta: StepToolCallDelta): void {
    this.emit(threadId, {
      event: 'thread.run.step.delta',
      data: { id: stepId, object: 'thread.run.step.delta', delta: { step_details: { type: 'tool_calls', tool_calls: [delta] } } },
    });
  }

  /** The assistant's message, empty and in progress, with its `message_creation` step, announced. */
  startMessage(run: RunObject): { message: MessageObject; step: RunStepObject } {
    const message = this.data.messages.insert({
      id: newId(ID_PREFIX.message),
      object: 'thread.message',
      created_at: nowSeconds(),
      thread_id: run.thread_id,
      status: 'in_progress',
      incomplete_details: null,
      completed_at: null,
      incomplete_at: null,
      role: 'assistant',
      content: [],
      assistant_id: run.assistant_id,
      run_id: run.id,
      file_ids: [],
      metadata: {},
    });
    const step = this.insertStep(run, { type: 'message_creation', message_creation: { message_id: message.id } });
    this.emit(run.thread_id, { event: 'thread.run.step.created', data: step });
    this.emit(run.thread_id, { event: 'thread.run.step.in_progress', data: step });
    this.emit(run.thread_id, { event: 'thread.message.created', data: message });
    this.emit(run.thread_id, { event: 'thread.message.in_progress', data: message });
    return { message, step };
  }

  /** Stores the message's text so far (what GET shows while it is written). */
  storeText(messageId: string, value: string, annotations: readonly FileCitation[]): void {
    this.data.messages.update(messageId, (message) => ({
      ...message,
      content: [{ type: 'text', text: { value, annotations: [...annotations] } }],
    }));
  }

  /** Announces a piece of the message's text. */
  emitText(threadId: string, messageId: string, piece: CitedPiece): void {
    this.emit(threadId, {
      event: 'thread.message.delta',
      data: {
        id: messageId,
        object: 'thread.message.delta',
        delta: { content: [{ index: 0, type: 'text', text: { value: piece.text, annotations: piece.annotations } }] },
      },
    });
  }

  /** Ends a written message (completed, or incomplete for `reason`) and its step, and announces both. */
  finishMessage(run: RunObject, messageId: string, stepId: string | null, usage: Usage | null, reason: MessageIncompleteReason | null): void {
    const now = nowSeconds();
    const message = this.data.messages.update(messageId, (current) =>
      reason !== null
        ? { ...current, status: 'incomplete', incomplete_at: now, incomplete_details: { reason } }
        : { ...current, status: 'completed', completed_at: now },
    );
    if (message !== undefined) {
      this.emit(run.thread_id, {
        event: message.status === 'incomplete' ? 'thread.message.incomplete' : 'thread.message.completed',
        data: message,
      });
    }
    if (stepId !== null) {
      const step = this.updateStep(stepId, () => ({ status: 'completed', completed_at: now, usage }));
      this.emit(run.thread_id, { event: 'thread.run.step.completed', data: step });
    }
  }
}
