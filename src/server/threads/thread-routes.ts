/**
 * Threads, messages and message files: createThread, getThread, modifyThread,
 * deleteThread, createMessage, listMessages (with `run_id`), getMessage, modifyMessage,
 * listMessageFiles, getMessageFile.
 */
import { notFound } from '../errors.js';
import { pageOf, parsePageQuery } from '../pagination.js';
import type { Router } from '../router.js';
import { deleteThread } from './data.js';
import { messageFile, newMessage, newThread } from './records.js';
import type { ThreadServices } from './services.js';
import { rejectWhileActive, requireMessage, requireThread, updateMetadata } from './services.js';
import { parseCreateThread, parseMessage } from './validation.js';

export function registerThreadAndMessageRoutes(router: Router, services: ThreadServices): void {
  const { ctx, engine } = services;
  const { store } = ctx;

  router.add('POST', '/v1/threads', (req) =>
    store.transaction(async (tx) => {
      const input = await parseCreateThread(tx, req.body);
      const thread = await tx.insert('threads', newThread(input.metadata));
      for (const message of input.messages) await tx.insert('messages', newMessage(thread.id, message));
      return thread;
    }),
  );

  router.add('GET', '/v1/threads/:thread_id', (req) => requireThread(store.read, req.params.thread_id));

  router.add('POST', '/v1/threads/:thread_id', (req) =>
    store.transaction(async (tx) => updateMetadata(tx, 'threads', await requireThread(tx, req.params.thread_id), req.body)),
  );

  router.add('DELETE', '/v1/threads/:thread_id', async (req) => {
    const threadId = req.params.thread_id;
    const runIds = await store.transaction(async (tx) => {
      if ((await tx.lockThread(threadId)) === undefined) throw notFound('thread', threadId);
      return deleteThread(tx, threadId);
    });
    engine.forget(runIds);
    return { id: threadId, object: 'thread.deleted', deleted: true };
  });

  router.add('POST', '/v1/threads/:thread_id/messages', (req) =>
    store.transaction(async (tx) => {
      const thread = await tx.lockThread(req.params.thread_id);
      if (thread === undefined) throw notFound('thread', req.params.thread_id);
      const input = await parseMessage(tx, req.body);
      await rejectWhileActive(tx, thread.id, 'message');
      return tx.insert('messages', newMessage(thread.id, input));
    }),
  );

  router.add('GET', '/v1/threads/:thread_id/messages', async (req) => {
    const thread = await requireThread(store.read, req.params.thread_id);
    const runId = req.query.get('run_id');
    return store.read.page('messages', runId ? { thread_id: thread.id, run_id: runId } : { thread_id: thread.id }, parsePageQuery(req.query));
  });

  router.add('GET', '/v1/threads/:thread_id/messages/:message_id', (req) =>
    requireMessage(store.read, req.params.thread_id, req.params.message_id),
  );

  router.add('POST', '/v1/threads/:thread_id/messages/:message_id', (req) =>
    store.transaction(async (tx) => updateMetadata(tx, 'messages', await requireMessage(tx, req.params.thread_id, req.params.message_id), req.body)),
  );

  router.add('GET', '/v1/threads/:thread_id/messages/:message_id/files', async (req) => {
    const message = await requireMessage(store.read, req.params.thread_id, req.params.message_id);
    return pageOf(
      message.file_ids.map((fileId) => messageFile(message, fileId)),
      parsePageQuery(req.query),
    );
  });

  router.add('GET', '/v1/threads/:thread_id/messages/:message_id/files/:file_id', async (req) => {
    const message = await requireMessage(store.read, req.params.thread_id, req.params.message_id);
    if (!message.file_ids.includes(req.params.file_id)) throw notFound('message file', req.params.file_id);
    return messageFile(message, req.params.file_id);
  });
}
