import type {
  MessageDeltaObject,
  MessageObject,
  RunObject,
  RunStepDeltaObject,
  RunStepObject,
  ThreadObject,
} from './objects.js';

/**
 * The assistant stream events (`AssistantStreamEvent` in the spec) and the bus the run
 * engine publishes them on. Streaming responses subscribe to it; nothing else does, so a
 * run advances the same way whether or not anyone listens.
 */

export type RunEventName =
  | 'thread.run.created'
  | 'thread.run.queued'
  | 'thread.run.in_progress'
  | 'thread.run.requires_action'
  | 'thread.run.completed'
  | 'thread.run.failed'
  | 'thread.run.cancelling'
  | 'thread.run.cancelled'
  | 'thread.run.expired';

export type RunStepEventName =
  | 'thread.run.step.created'
  | 'thread.run.step.in_progress'
  | 'thread.run.step.completed'
  | 'thread.run.step.failed'
  | 'thread.run.step.cancelled'
  | 'thread.run.step.expired';

export type MessageEventName =
  | 'thread.message.created'
  | 'thread.message.in_progress'
  | 'thread.message.completed'
  | 'thread.message.incomplete';

export type AssistantStreamEvent =
  | { event: 'thread.created'; data: ThreadObject }
  | { event: RunEventName; data: RunObject }
  | { event: RunStepEventName; data: RunStepObject }
  | { event: 'thread.run.step.delta'; data: RunStepDeltaObject }
  | { event: MessageEventName; data: MessageObject }
  | { event: 'thread.message.delta'; data: MessageDeltaObject }
  | { event: 'error'; data: StreamError };

/** The `data` of an `error` event: the spec's `Error` object. */
export interface StreamError {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** An event with the thread it happened on (null: every thread). */
export interface PublishedEvent {
  threadId: string | null;
  event: AssistantStreamEvent;
}

export type EventListener = (published: PublishedEvent) => void;

export class RunEventBus {
  readonly #listeners = new Set<EventListener>();

  publish(threadId: string, event: AssistantStreamEvent): void {
    for (const listener of [...this.#listeners]) listener({ threadId, event });
  }

  /**
   * Ends the streams of `threadId` (null: of every thread) with an `error` event: their
   * runs will publish nothing more (the thread was deleted, the server reset).
   */
  interrupt(threadId: string | null, message: string): void {
    const data: StreamError = { message, type: 'invalid_request_error', param: null, code: null };
    for (const listener of [...this.#listeners]) listener({ threadId, event: { event: 'error', data } });
  }

  /** Returns the function that unsubscribes. */
  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}

/** The run events after which a stream ends: the run waits for the caller or is over. */
const STREAM_ENDING_EVENTS: ReadonlySet<string> = new Set([
  'thread.run.requires_action',
  'thread.run.completed',
  'thread.run.failed',
  'thread.run.cancelled',
  'thread.run.expired',
]);

export function endsStream(event: AssistantStreamEvent, runId: string): boolean {
  if (event.event === 'error') return true;
  return STREAM_ENDING_EVENTS.has(event.event) && 'id' in event.data && event.data.id === runId;
}
