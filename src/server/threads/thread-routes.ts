/**
 * Threads, messages and message files: createThread, getThread, modifyThread,
 * deleteThread, createMessage, listMessages (with `run_id`), getMessage, modifyMessage,
 * listMessageFiles, getMessageFile.
 */
import { notFound } from '../errors.js';
import { paginate } from '../pagination.js';
import type { Router } from '../router.js';
import { messageFile, newMessage, newThread } from './records.js';
import type { ThreadServices } from './services.js';
import { rejectWhileActive, requireMessage, requireThread } from './services.js';
import { parseCreateThread, parseMessage, parseMetadataUpdate } from './validation.js';

export function registerThreadAndMessageRoutes(router: Router, services: ThreadServices): void {
  const { ctx, data, engine, bus } = services;

  router.add('POST', '/v1/threads', (req) => {
    const input = parseCreateThread(ctx, req.body);
    const thread = data.threads.insert(newThread(input.metadata));
    for (const message of input.messages) data.messages.insert(newMessage(thread.id, message));
    return thread;
  });

  router.add('GET', '/v1/threads/:thread_id', (req) => requireThread(services, req.params.thread_id));

  router.add('POST', '/v1/threads/:thread_id', (req) => {
    const thread = requireThread(services, req.params.thread_id);
    const { metadata } = parseMetadataUpdate(req.body);
    if (metadata === undefined) return thread;
    return data.threads.update(thread.id, (current) => ({ ...current, metadata: metadata ?? {} }));
  });

  router.add('DELETE', '/v1/threads/:thread_id', (req) => {
    const thread = requireThread(services, req.params.thread_id);
    engine.forget(data.deleteThread(thread.id));
    bus.interrupt(thread.id, `The thread ${thread.id} was deleted while its run was streaming.`);
    return { id: thread.id, object: 'thread.deleted', deleted: true };
  });

  router.add('POST', '/v1/threads/:thread_id/messages', (req) => {
    const thread = requireThread(services, req.params.thread_id);
    const input = parseMessage(ctx, req.body);
    rejectWhileActive(services, thread.id, 'message');
    return data.messages.insert(newMessage(thread.id, input));
  });

  router.add('GET', '/v1/threads/:thread_id/messages', (req) => {
    const thread = requireThread(services, req.params.thread_id);
    const runId = req.query.get('run_id');
    const messages = data.threadMessages(thread.id).filter((message) => !runId || message.run_id === runId);
    return paginate(messages, req.query);
  });

  router.add('GET', '/v1/threads/:thread_id/messages/:message_id', (req) =>
    requireMessage(services, req.params.thread_id, req.params.message_id),
  );

  router.add('POST', '/v1/threads/:thread_id/messages/:message_id', (req) => {
    const message = requireMessage(services, req.params.thread_id, req.params.message_id);
    const { metadata } = parseMetadataUpdate(req.body);
    if (metadata === undefined) return message;
    return data.messages.update(message.id, (current) => ({ ...current, metadata: metadata ?? {} }));
  });

  router.add('GET', '/v1/threads/:thread_id/messages/:message_id/files', (req) => {
    const message = requireMessage(services, req.params.thread_id, req.params.message_id);
    return paginate(
      message.file_ids.map((fileId) => messageFile(message, fileId)),
      req.query,
    );
  });

  router.add('GET', '/v1/threads/:thread_id/messages/:message_id/files/:file_id', (req) => {
    const message = requireMessage(services, req.params.thread_id, req.params.message_id);
    if (!message.file_ids.includes(req.params.file_id)) throw notFound('message file', req.params.file_id);
    return messageFile(message, req.params.file_id);
  });
}
