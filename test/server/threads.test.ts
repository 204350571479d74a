import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { call, errorOf, upload, uploadId } from './http.js';
import { ok, settle, threadWith, weatherAssistant } from './threads-support.js';

const MESSAGE_FIELDS = [
  'id', 'object', 'created_at', 'thread_id', 'status', 'incomplete_details', 'completed_at', 'incomplete_at', 'role',
  'content', 'assistant_id', 'run_id', 'file_ids', 'metadata',
].sort();

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ runStepMs: 2 });
});
afterAll(async () => {
  await server.close();
});

describe('threads', () => {
  it('creates, gets, modifies and deletes a thread', async () => {
    const created = await ok(call(server, 'POST', '/threads', { metadata: { team: 'a' } }));
    expect(Object.keys(created).sort()).toEqual(['created_at', 'id', 'metadata', 'object']);
    expect(created).toMatchObject({ object: 'thread', metadata: { team: 'a' } });
    expect(created.id).toMatch(/^thread_[A-Za-z0-9]{24}$/);
    expect(await ok(call(server, 'GET', `/threads/${created.id}`))).toEqual(created);
    const modified = await ok(call(server, 'POST', `/threads/${created.id}`, { metadata: { team: 'b' } }));
    expect(modified).toEqual({ ...created, metadata: { team: 'b' } });
    expect(await ok(call(server, 'DELETE', `/threads/${created.id}`))).toEqual({ id: created.id, object: 'thread.deleted', deleted: true });
    expect(errorOf(await call(server, 'GET', `/threads/${created.id}`))).toEqual({
      status: 404,
      message: `No thread found with id '${created.id}'.`,
      type: 'invalid_request_error',
      param: null,
      code: null,
    });
  });

  it('creates a thread with no body, and with messages', async () => {
    expect(await ok(call(server, 'POST', '/threads'))).toMatchObject({ object: 'thread', metadata: {} });
    const threadId = await threadWith(server, 'one', 'two');
    const list = await ok(call(server, 'GET', `/threads/${threadId}/messages?order=asc`));
    expect((list.data as Array<{ content: Array<{ text: { value: string } }> }>).map((m) => m.content[0]?.text.value)).toEqual(['one', 'two']);
  });

  it('has no list route', async () => {
    expect((await call(server, 'GET', '/threads')).status).toBe(404);
  });

  it('validates thread bodies', async () => {
    expect(errorOf(await call(server, 'POST', '/threads', { messages: 'x' }))).toMatchObject({ status: 400, param: 'messages' });
    expect(errorOf(await call(server, 'POST', '/threads', { messages: [{ role: 'user', content: 'x', extra: 1 }] }))).toMatchObject({
      param: 'messages[0].extra',
    });
    expect(errorOf(await call(server, 'POST', '/threads', { title: 'x' }))).toMatchObject({ param: 'title', code: 'unknown_parameter' });
    expect(errorOf(await call(server, 'POST', '/threads', { metadata: { ['k'.repeat(65)]: 'v' } }))).toMatchObject({ param: 'metadata' });
    const threadId = await threadWith(server);
    expect(errorOf(await call(server, 'POST', `/threads/${threadId}`, { messages: [] }))).toMatchObject({ param: 'messages' });
    expect(errorOf(await call(server, 'DELETE', '/threads/thread_nope')).status).toBe(404);
    expect(errorOf(await call(server, 'POST', '/threads/thread_nope', { metadata: {} })).status).toBe(404);
  });

  it('needs the beta header', async () => {
    const reply = await call(server, 'POST', '/threads', {}, { authorization: `Bearer ${server.apiKey}` });
    expect(errorOf(reply)).toMatchObject({ status: 400, code: 'invalid_beta' });
  });

  it('deleting a thread deletes its messages and runs', async () => {
    const assistantId = await weatherAssistant(server);
    const threadId = await threadWith(server, 'get_weather');
    const run = await ok(call(server, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistantId }));
    await ok(call(server, 'DELETE', `/threads/${threadId}`));
    expect((await call(server, 'GET', `/threads/${threadId}/runs/${run.id}`)).status).toBe(404);
    expect((await call(server, 'GET', `/threads/${threadId}/messages`)).status).toBe(404);
  });
});

describe('messages', () => {
  it('creates, gets, lists and modifies messages', async () => {
    const threadId = await threadWith(server);
    const message = await ok(call(server, 'POST', `/threads/${threadId}/messages`, { role: 'user', content: 'Hello', metadata: { m: '1' } }));
    expect(Object.keys(message).sort()).toEqual(MESSAGE_FIELDS);
    expect(message).toMatchObject({
      object: 'thread.message',
      thread_id: threadId,
      role: 'user',
      status: 'completed',
      content: [{ type: 'text', text: { value: 'Hello', annotations: [] } }],
      assistant_id: null,
      run_id: null,
      file_ids: [],
      metadata: { m: '1' },
      incomplete_details: null,
    });
    expect(message.id).toMatch(/^msg_[A-Za-z0-9]{24}$/);
    expect(await ok(call(server, 'GET', `/threads/${threadId}/messages/${message.id}`))).toEqual(message);
    const second = await ok(call(server, 'POST', `/threads/${threadId}/messages`, { role: 'assistant', content: 'Hi' }));
    const list = await ok(call(server, 'GET', `/threads/${threadId}/messages`));
    expect(list).toMatchObject({ object: 'list', first_id: second.id, last_id: message.id, has_more: false });
    const page = await ok(call(server, 'GET', `/threads/${threadId}/messages?limit=1&order=asc`));
    expect(page).toMatchObject({ first_id: message.id, has_more: true });
    const modified = await ok(call(server, 'POST', `/threads/${threadId}/messages/${message.id}`, { metadata: { m: '2' } }));
    expect(modified).toEqual({ ...message, metadata: { m: '2' } });
    expect(errorOf(await call(server, 'POST', `/threads/${threadId}/messages/${message.id}`, { content: 'x' }))).toMatchObject({ param: 'content' });
  });

  it('filters by run_id', async () => {
    const assistantId = await weatherAssistant(server);
    const threadId = await threadWith(server, 'hi');
    const run = await ok(call(server, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistantId }));
    await settle(server, threadId, run.id as string);
    const all = await ok(call(server, 'GET', `/threads/${threadId}/messages`));
    const byRun = await ok(call(server, 'GET', `/threads/${threadId}/messages?run_id=${run.id}`));
    expect((all.data as unknown[]).length).toBe(2);
    expect((byRun.data as Array<{ run_id: string }>).map((m) => m.run_id)).toEqual([run.id]);
  });

  it('validates message bodies and 404s unknown ids', async () => {
    const threadId = await threadWith(server);
    const path = `/threads/${threadId}/messages`;
    expect(errorOf(await call(server, 'POST', path, { content: 'x' }))).toMatchObject({ param: 'role', code: 'missing_required_parameter' });
    expect(errorOf(await call(server, 'POST', path, { role: 'user' }))).toMatchObject({ param: 'content' });
    expect(errorOf(await call(server, 'POST', path, { role: 'system', content: 'x' }))).toMatchObject({ param: 'role', code: 'invalid_value' });
    expect(errorOf(await call(server, 'POST', path, { role: 'user', content: '' }))).toMatchObject({ param: 'content' });
    expect(errorOf(await call(server, 'POST', path, { role: 'user', content: 'x'.repeat(256_001) }))).toMatchObject({ param: 'content' });
    expect(errorOf(await call(server, 'POST', path, { role: 'user', content: 'x', file_ids: ['file-nope'] }))).toMatchObject({ param: 'file_ids' });
    expect(errorOf(await call(server, 'POST', path, { role: 'user', content: 'x', file_ids: 'file-x' }))).toMatchObject({ param: 'file_ids' });
    expect(errorOf(await call(server, 'POST', path, 'not json')).status).toBe(400);
    expect(errorOf(await call(server, 'POST', '/threads/thread_nope/messages', { role: 'user', content: 'x' })).status).toBe(404);
    expect(errorOf(await call(server, 'GET', `${path}/msg_nope`))).toMatchObject({ status: 404, message: "No message found with id 'msg_nope'." });
    const other = await threadWith(server, 'elsewhere');
    const [foreign] = (await ok(call(server, 'GET', `/threads/${other}/messages`))).data as Array<{ id: string }>;
    expect(errorOf(await call(server, 'GET', `${path}/${foreign?.id}`)).status).toBe(404);
  });
});

describe('message files', () => {
  it('lists and gets the files attached through file_ids (at most 10, each must exist)', async () => {
    const threadId = await threadWith(server);
    const first = await uploadId(server, 'one');
    const second = await uploadId(server, 'two');
    const message = await ok(call(server, 'POST', `/threads/${threadId}/messages`, { role: 'user', content: 'see files', file_ids: [first, second] }));
    expect(message.file_ids).toEqual([first, second]);
    const base = `/threads/${threadId}/messages/${message.id}/files`;
    const list = await ok(call(server, 'GET', base));
    expect(list).toMatchObject({ object: 'list', has_more: false });
    expect(list.data).toEqual([
      { id: second, object: 'thread.message.file', created_at: message.created_at, message_id: message.id },
      { id: first, object: 'thread.message.file', created_at: message.created_at, message_id: message.id },
    ]);
    expect(await ok(call(server, 'GET', `${base}/${first}`))).toEqual({
      id: first,
      object: 'thread.message.file',
      created_at: message.created_at,
      message_id: message.id,
    });
    expect(errorOf(await call(server, 'GET', `${base}/${(await upload(server, 'three')).body.id}`)).status).toBe(404);
    expect(errorOf(await call(server, 'GET', `/threads/${threadId}/messages/msg_nope/files`)).status).toBe(404);

    const eleven = await Promise.all(Array.from({ length: 11 }, (_, i) => uploadId(server, `f${i}`)));
    expect(
      errorOf(await call(server, 'POST', `/threads/${threadId}/messages`, { role: 'user', content: 'x', file_ids: eleven })),
    ).toMatchObject({ status: 400, param: 'file_ids', code: 'array_above_max_length' });
  });
});
