/**
 * What the thread and run routes share: the context, the engine, and lookups that answer a
 * missing object with the API's 404.
 */
import type { ServerContext } from '../context.js';
import { invalidRequest, notFound } from '../errors.js';
import { assistantToWire, type AssistantObject } from '../routes/assistants.js';
import type { Records, StoreReader, StoreWriter } from '../store/store.js';
import { activeRun } from './data.js';
import type { RunEngine } from './engine.js';
import type { MessageObject, RunObject, ThreadObject } from './objects.js';
import { parseMetadataUpdate } from './validation.js';

export interface ThreadServices {
  ctx: ServerContext;
  engine: RunEngine;
}

export async function requireThread(reader: StoreReader, threadId: string): Promise<ThreadObject> {
  const thread = await reader.get('threads', threadId);
  if (thread === undefined) throw notFound('thread', threadId);
  return thread;
}

export async function requireMessage(reader: StoreReader, threadId: string, messageId: string): Promise<MessageObject> {
  await requireThread(reader, threadId);
  const message = await reader.get('messages', messageId);
  if (message === undefined || message.thread_id !== threadId) throw notFound('message', messageId);
  return message;
}

export async function requireRun(reader: StoreReader, threadId: string, runId: string): Promise<RunObject> {
  await requireThread(reader, threadId);
  const run = await reader.get('runs', runId);
  if (run === undefined || run.thread_id !== threadId) throw notFound('run', runId);
  return run;
}

export async function requireAssistant(reader: StoreReader, assistantId: string): Promise<AssistantObject> {
  const assistant = await assistantToWire(reader, assistantId);
  if (assistant === undefined) throw notFound('assistant', assistantId);
  return assistant;
}

/** The API's 400 for a second active run on a thread. */
export function activeRunError(threadId: string, runId: string | null): Error {
  return invalidRequest(runId === null ? `Thread ${threadId} already has an active run.` : `Thread ${threadId} already has an active run ${runId}.`);
}

/** 400 when a run is active on the thread: no new messages and no new run meanwhile. */
export async function rejectWhileActive(reader: StoreReader, threadId: string, action: 'message' | 'run'): Promise<void> {
  const active = await activeRun(reader, threadId);
  if (active === undefined) return;
  throw action === 'message'
    ? invalidRequest(`Can't add messages to ${threadId} while a run ${active.id} is active.`)
    : activeRunError(threadId, active.id);
}

/** `POST` to a thread, message or run: `record` with the body's metadata (null clears it), or as it is when the body has none. */
export async function updateMetadata<C extends 'threads' | 'messages' | 'runs'>(
  tx: StoreWriter,
  collection: C,
  record: Records[C],
  body: unknown,
): Promise<Records[C] | undefined> {
  const { metadata } = parseMetadataUpdate(body);
  if (metadata === undefined) return record;
  return await tx.update(collection, record.id, (current) => ({ ...current, metadata: metadata ?? {} }));
}
