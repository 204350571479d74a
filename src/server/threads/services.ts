/**
 * What the thread and run routes share: the data, the engine, the event bus, and lookups
 * that answer a missing object with the API's 404.
 */
import type { ServerContext } from '../context.js';
import { invalidRequest, notFound } from '../errors.js';
import type { AssistantObject } from '../routes/assistants.js';
import type { ThreadData } from './data.js';
import type { RunEngine } from './engine.js';
import type { RunEventBus } from './events.js';
import type { MessageObject, RunObject, ThreadObject } from './objects.js';

export interface ThreadServices {
  ctx: ServerContext;
  data: ThreadData;
  engine: RunEngine;
  bus: RunEventBus;
}

export function requireThread(services: ThreadServices, threadId: string): ThreadObject {
  const thread = services.data.threads.get(threadId);
  if (thread === undefined) throw notFound('thread', threadId);
  return thread;
}

export function requireMessage(services: ThreadServices, threadId: string, messageId: string): MessageObject {
  requireThread(services, threadId);
  const message = services.data.messages.get(messageId);
  if (message === undefined || message.thread_id !== threadId) throw notFound('message', messageId);
  return message;
}

export function requireRun(services: ThreadServices, threadId: string, runId: string): RunObject {
  requireThread(services, threadId);
  const run = services.data.runs.get(runId);
  if (run === undefined || run.thread_id !== threadId) throw notFound('run', runId);
  return run;
}

export function requireAssistant(services: ThreadServices, assistantId: string): AssistantObject {
  const assistant = services.ctx.getAssistant(assistantId);
  if (assistant === undefined) throw notFound('assistant', assistantId);
  return assistant;
}

/** 400 when a run is active on the thread: no new messages and no new run meanwhile. */
export function rejectWhileActive(services: ThreadServices, threadId: string, action: 'message' | 'run'): void {
  const active = services.data.activeRun(threadId);
  if (active === undefined) return;
  throw action === 'message'
    ? invalidRequest(`Can't add messages to ${threadId} while a run ${active.id} is active.`)
    : invalidRequest(`Thread ${threadId} already has an active run ${active.id}.`);
}
