/**
 * `AssistantStream`: the typed events of a streamed run, as an async iterable, plus
 * `finalRun()` to collect the stream into the last RunObject it reported.
 */
import { StreamError, type APIErrorDetails } from './errors.js';
import {
  messageDeltaFromWire,
  messageFromWire,
  runFromWire,
  runStepDeltaFromWire,
  runStepFromWire,
  threadFromWire,
} from './mappers.js';
import type { JsonValue } from '../json.js';
import { parseServerSentEvents, SseLimitError, type ServerSentEvent } from './sse.js';
import type {
  AssistantStreamEvent,
  MessageEventName,
  RunEventName,
  RunStepEventName,
  StreamErrorObject,
} from './stream-models.js';
import type { RunObject } from './thread-models.js';
import type {
  WireMessage,
  WireMessageDelta,
  WireRun,
  WireRunStep,
  WireRunStepDelta,
  WireThread,
} from './wire.js';

const RUN_EVENTS: ReadonlySet<string> = new Set<RunEventName>([
  'thread.run.created',
  'thread.run.queued',
  'thread.run.in_progress',
  'thread.run.requires_action',
  'thread.run.completed',
  'thread.run.failed',
  'thread.run.cancelling',
  'thread.run.cancelled',
  'thread.run.expired',
]);
const STEP_EVENTS: ReadonlySet<string> = new Set<RunStepEventName>([
  'thread.run.step.created',
  'thread.run.step.in_progress',
  'thread.run.step.completed',
  'thread.run.step.failed',
  'thread.run.step.cancelled',
  'thread.run.step.expired',
]);
const MESSAGE_EVENTS: ReadonlySet<string> = new Set<MessageEventName>([
  'thread.message.created',
  'thread.message.in_progress',
  'thread.message.completed',
  'thread.message.incomplete',
]);

export class AssistantStream implements AsyncIterable<AssistantStreamEvent> {
  readonly #chunks: AsyncIterable<Uint8Array>;
  readonly #details: APIErrorDetails;
  #started = false;

  /** Internal: made by the API from a response body. */
  constructor(chunks: AsyncIterable<Uint8Array>, details: APIErrorDetails) {
    this.#chunks = chunks;
    this.#details = details;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<AssistantStreamEvent> {
    if (this.#started) throw new TypeError('an AssistantStream can be read only once');
    this.#started = true;
    try {
      for await (const message of parseServerSentEvents(this.#chunks)) {
        const event = this.#toEvent(message);
        yield event;
        if (event.event === 'done') return;
      }
    } catch (error) {
      if (error instanceof SseLimitError) throw new StreamError({ ...this.#details, serverMessage: error.message, cause: error });
      throw error;
    }
  }

  /**
   * Reads the rest of the stream and returns the last run it reported (completed,
   * requires_action, failed, ...). Throws a StreamError on an `error` event.
   */
  async finalRun(): Promise<RunObject> {
    let run: RunObject | undefined;
    for await (const event of this) {
      if (event.event === 'error') throw this.#error(event.data);
      if (RUN_EVENTS.has(event.event)) run = event.data as RunObject;
    }
    if (!run) throw new StreamError({ ...this.#details, serverMessage: 'the stream ended without reporting a run' });
    return run;
  }

  #toEvent(message: ServerSentEvent): AssistantStreamEvent {
    const name = message.event;
    if (name === 'done') return { event: 'done', data: '[DONE]' };
    const data = this.#parse(message);
    if (name === 'thread.created') return { event: name, data: threadFromWire(data as WireThread) };
    if (RUN_EVENTS.has(name)) return { event: name as RunEventName, data: runFromWire(data as WireRun) };
    if (STEP_EVENTS.has(name)) return { event: name as RunStepEventName, data: runStepFromWire(data as WireRunStep) };
    if (name === 'thread.run.step.delta') return { event: name, data: runStepDeltaFromWire(data as WireRunStepDelta) };
    if (MESSAGE_EVENTS.has(name)) return { event: name as MessageEventName, data: messageFromWire(data as WireMessage) };
    if (name === 'thread.message.delta') return { event: name, data: messageDeltaFromWire(data as WireMessageDelta) };
    if (name === 'error') return { event: 'error', data: errorObject(data as JsonValue) };
    return { event: 'unknown', name, data: data as JsonValue };
  }

  #parse(message: ServerSentEvent): unknown {
    try {
      return JSON.parse(message.data) as unknown;
    } catch (cause) {
      throw new StreamError({
        ...this.#details,
        serverMessage: `event '${message.event}' carried data that is not JSON`,
        cause,
      });
    }
  }

  #error(data: StreamErrorObject): StreamError {
    return new StreamError({ ...this.#details, serverMessage: data.message, type: data.type, code: data.code, param: data.param });
  }
}

/** The `error` event's data: the API's Error object, bare or wrapped in `{error}`. */
function errorObject(data: JsonValue): StreamErrorObject {
  const inner = typeof data === 'object' && data !== null && !Array.isArray(data) && typeof data['error'] === 'object'
    ? data['error']
    : data;
  const fields = typeof inner === 'object' && inner !== null && !Array.isArray(inner) ? inner : {};
  const text = (key: string): string | null => {
    const value = fields[key];
    return typeof value === 'string' ? value : null;
  };
  return {
    message: text('message') ?? (typeof data === 'string' ? data : 'unknown error'),
    type: text('type') ?? 'server_error',
    code: text('code'),
    param: text('param'),
  };
}
