/**
 * The records a run changes as it goes (the run, its steps, the message it writes, its
 * progress) and the stream events that report each change, in the official order, within
 * one transaction. The run steps (run-steps.ts) and a chat upstream's turn (chat-turn.ts)
 * both write through it, so a step or a message is made, streamed and ended the same way
 * whichever model runs.
 */
import { ID_PREFIX, newId, nowSeconds } from '../ids.js';
import type { StoreWriter } from '../store/store.js';
import type { CitedPiece, FileCitation } from './citations.js';
import type { RunProgress } from './data.js';
import type { AssistantStreamEvent } from './events.js';
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
  constructor(readonly tx: StoreWriter) {}

  /** Adds an event to the run's stream; returns its sequence number. */
  emit(runId: string, event: AssistantStreamEvent): Promise<number> {
    return this.tx.emit(runId, event);
  }

  async updateRun(id: string, patch: Partial<RunObject>): Promise<RunObject> {
    const updated = await this.tx.update('runs', id, (current) => ({ ...current, ...patch }));
    if (updated === undefined) throw new Error(`run ${id} vanished`);
    return updated;
  }

  /** Changes the run's progress; a new phase clears `executing`. */
  async setProgress(id: string, patch: Partial<RunProgress>): Promise<void> {
    const cleared = patch.phase !== undefined && patch.executing === undefined ? { executing: false } : {};
    await this.tx.update('run_progress', id, (current) => ({ ...current, ...cleared, ...patch }));
  }

  insertStep(run: RunObject, details: StepDetails): Promise<RunStepObject> {
    return this.tx.insert('run_steps', {
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

  async updateStep(id: string, change: (current: RunStepObject) => Partial<RunStepObject>): Promise<RunStepObject> {
    const updated = await this.tx.update('run_steps', id, (current) => ({ ...current, ...change(current) }));
    if (updated === undefined) throw new Error(`run step ${id} vanished`);
    return updated;
  }

  /** A `tool_calls` step, announced (created, in progress); its calls follow as deltas. */
  async startToolStep(run: RunObject): Promise<RunStepObject> {
    const step = await this.insertStep(run, { type: 'tool_calls', tool_calls: [] });
    await this.emit(run.id, { event: 'thread.run.step.created', data: step });
    await this.emit(run.id, { event: 'thread.run.step.in_progress', data: step });
    return step;
  }

  async emitToolCallDelta(runId: string, stepId: string, delta: StepToolCallDelta): Promise<void> {
    await this.emit(runId, {
      event: 'thread.run.step.delta',
      data: { id: stepId, object: 'thread.run.step.delta', delta: { step_details: { type: 'tool_calls', tool_calls: [delta] } } },
    });
  }

  /** The assistant's message, empty and in progress, with its `message_creation` step, announced. */
  async startMessage(run: RunObject): Promise<{ message: MessageObject; step: RunStepObject }> {
    const message = await this.tx.insert('messages', {
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
    const step = await this.insertStep(run, { type: 'message_creation', message_creation: { message_id: message.id } });
    await this.emit(run.id, { event: 'thread.run.step.created', data: step });
    await this.emit(run.id, { event: 'thread.run.step.in_progress', data: step });
    await this.emit(run.id, { event: 'thread.message.created', data: message });
    await this.emit(run.id, { event: 'thread.message.in_progress', data: message });
    return { message, step };
  }

  /** Stores the message's text so far (what GET shows while it is written). */
  async storeText(messageId: string, value: string, annotations: readonly FileCitation[]): Promise<void> {
    await this.tx.update('messages', messageId, (message) => ({
      ...message,
      content: [{ type: 'text', text: { value, annotations: [...annotations] } }],
    }));
  }

  /** Announces a piece of the message's text. */
  async emitText(runId: string, messageId: string, piece: CitedPiece): Promise<void> {
    await this.emit(runId, {
      event: 'thread.message.delta',
      data: {
        id: messageId,
        object: 'thread.message.delta',
        delta: { content: [{ index: 0, type: 'text', text: { value: piece.text, annotations: piece.annotations } }] },
      },
    });
  }

  /** Ends a written message (completed, or incomplete for `reason`) and its step, and announces both. */
  async finishMessage(run: RunObject, messageId: string, stepId: string | null, usage: Usage | null, reason: MessageIncompleteReason | null): Promise<void> {
    const now = nowSeconds();
    const message = await this.tx.update('messages', messageId, (current) =>
      reason !== null
        ? { ...current, status: 'incomplete', incomplete_at: now, incomplete_details: { reason } }
        : { ...current, status: 'completed', completed_at: now },
    );
    if (message !== undefined) {
      await this.emit(run.id, {
        event: message.status === 'incomplete' ? 'thread.message.incomplete' : 'thread.message.completed',
        data: message,
      });
    }
    if (stepId !== null) {
      const step = await this.updateStep(stepId, () => ({ status: 'completed', completed_at: now, usage }));
      await this.emit(run.id, { event: 'thread.run.step.completed', data: step });
    }
  }
}
