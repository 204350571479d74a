import type {
  MessageDeltaObject,
  MessageObject,
  RunObject,
  RunStepDeltaObject,
  RunStepObject,
  ThreadObject,
} from './objects.js';

/**
 * The assistant stream events (`AssistantStreamEvent` in the spec). A run's events go to
 * the store's feed with the changes they report (StoreWriter.emit); streaming responses
 * follow it (stream.ts); nothing else does, so a run advances the same way whether or not
 * anyone listens.
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

const RUN_ENDING_EVENTS: ReadonlySet<string> = new Set(['thread.run.completed', 'thread.run.failed', 'thread.run.cancelled', 'thread.run.expired']);

/** Whether `event` reports that the run `runId` is over. */
export function endsRun(event: AssistantStreamEvent, runId: string): boolean {
  return RUN_ENDING_EVENTS.has(event.event) && 'id' in event.data && event.data.id === runId;
}
