/**
 * Typed server-sent events of a streamed run (`stream: true` on createRun,
 * createThreadAndRun and submitToolOuputsToRun), camelCase like every other model.
 */
import type { JsonValue } from '../json.js';
import type { MessageObject, RunObject, RunStepObject, ThreadObject, UnknownPart } from './thread-models.js';

export interface MessageDeltaTextAnnotation {
  index: number;
  type: 'file_citation' | 'file_path';
  text?: string;
  fileCitation?: { fileId?: string; quote?: string };
  filePath?: { fileId?: string };
  startIndex?: number;
  endIndex?: number;
}

export interface MessageDeltaContentText {
  index: number;
  type: 'text';
  text?: { value?: string; annotations?: Array<MessageDeltaTextAnnotation | UnknownPart> };
}

export interface MessageDeltaContentImageFile {
  index: number;
  type: 'image_file';
  imageFile?: { fileId?: string };
}

export interface MessageDeltaObject {
  id: string;
  object: 'thread.message.delta';
  delta: {
    role?: 'user' | 'assistant';
    content?: Array<MessageDeltaContentText | MessageDeltaContentImageFile | UnknownPart>;
    fileIds?: string[];
  };
}

export interface RunStepDeltaToolCall {
  index: number;
  id?: string;
  type: 'code_interpreter' | 'retrieval' | 'function';
  codeInterpreter?: {
    input?: string;
    outputs?: Array<{ index: number; type: 'logs' | 'image'; logs?: string; image?: { fileId?: string } }>;
  };
  retrieval?: { [key: string]: JsonValue };
  function?: { name?: string; arguments?: string; output?: string | null };
}

export interface RunStepDeltaObject {
  id: string;
  object: 'thread.run.step.delta';
  delta: {
    stepDetails?:
      | { type: 'message_creation'; messageCreation?: { messageId?: string } }
      | { type: 'tool_calls'; toolCalls?: Array<RunStepDeltaToolCall | UnknownPart> };
  };
}

/** The `data` of an `error` event: the API's Error object. */
export interface StreamErrorObject {
  code: string | null;
  message: string;
  param: string | null;
  type: string;
}

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
  | { event: 'error'; data: StreamErrorObject }
  | { event: 'done'; data: '[DONE]' }
  /** An event this client does not know (a newer API): its name and data as received. */
  | { event: 'unknown'; name: string; data: JsonValue };
