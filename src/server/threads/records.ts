/**
 * New thread, message and run objects as the API creates them from a validated request,
 * with every required field present and defaults filled in as the API does.
 */
import type { AssistantObject } from '../routes/assistants.js';
import { ID_PREFIX, newId, nowSeconds } from '../ids.js';
import type { Metadata, MessageFileObject, MessageObject, RunObject, ThreadObject } from './objects.js';
import type { MessageInput, RunSettings } from './validation.js';

export function newThread(metadata: Metadata | null): ThreadObject {
  return { id: newId(ID_PREFIX.thread), object: 'thread', created_at: nowSeconds(), metadata };
}

/** A message created through the API (not by a run): complete from the start. */
export function newMessage(threadId: string, input: MessageInput): MessageObject {
  return {
    id: newId(ID_PREFIX.message),
    object: 'thread.message',
    created_at: nowSeconds(),
    thread_id: threadId,
    status: 'completed',
    incomplete_details: null,
    completed_at: null,
    incomplete_at: null,
    role: input.role,
    content: [{ type: 'text', text: { value: input.content, annotations: [] } }],
    assistant_id: null,
    run_id: null,
    file_ids: input.file_ids,
    metadata: input.metadata,
  };
}

/** A message's attached file, as `/messages/{id}/files` lists it. */
export function messageFile(message: MessageObject, fileId: string): MessageFileObject {
  return { id: fileId, object: 'thread.message.file', created_at: message.created_at, message_id: message.id };
}

/**
 * A queued run: the request's overrides, else the assistant's model, instructions and
 * tools; `additional_instructions` are appended to the instructions.
 */
export function newRun(
  threadId: string,
  assistant: AssistantObject,
  settings: RunSettings,
  additionalInstructions: string | null,
  expiresAfterSeconds: number,
): RunObject {
  const now = nowSeconds();
  const instructions = [settings.instructions ?? assistant.instructions ?? '', additionalInstructions ?? '']
    .filter((part) => part !== '')
    .join(' ');
  return {
    id: newId(ID_PREFIX.run),
    object: 'thread.run',
    created_at: now,
    thread_id: threadId,
    assistant_id: assistant.id,
    status: 'queued',
    required_action: null,
    last_error: null,
    expires_at: now + expiresAfterSeconds,
    started_at: null,
    cancelled_at: null,
    failed_at: null,
    completed_at: null,
    incomplete_details: null,
    model: settings.model ?? assistant.model,
    instructions,
    tools: settings.tools ?? assistant.tools,
    file_ids: assistant.file_ids,
    metadata: settings.metadata,
    usage: null,
    temperature: settings.temperature ?? 1,
    max_prompt_tokens: settings.max_prompt_tokens,
    max_completion_tokens: settings.max_completion_tokens,
    truncation_strategy: settings.truncation_strategy ?? { type: 'auto', last_messages: null },
    tool_choice: settings.tool_choice ?? 'auto',
    response_format: settings.response_format ?? 'auto',
  };
}
