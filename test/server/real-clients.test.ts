/**
 * What real clients written for the hosted API send, accepted as it was: metadata values
 * that are booleans or numbers (OpenOpenAI's e2e script), a v2 beta header named in the
 * error it gets, and `truncation_strategy.last_messages: null` (openai-node's types).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import OpenAI from 'openai';
import { startTestServer, type TestServer } from '../support/server.js';
import { call, createAssistant, errorOf } from './http.js';
import { ok, settle, threadWith } from './threads-support.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ runStepMs: 5 });
});
afterAll(async () => {
  await server.close();
});

describe('metadata values that are booleans or numbers', () => {
  const sent = { isOfficalAPI: false, enabled: true, count: 3, ratio: 1.5, name: 'x' };
  const stored = { isOfficalAPI: 'false', enabled: 'true', count: '3', ratio: '1.5', name: 'x' };

  test('are stored and returned as strings, on every object that has metadata', async () => {
    const assistant = await createAssistant(server, { metadata: sent });
    expect(assistant.metadata).toEqual(stored);
    expect((await ok(call(server, 'GET', `/assistants/${assistant.id as string}`))).metadata).toEqual(stored);
    const thread = await ok(call(server, 'POST', '/threads', { metadata: sent, messages: [{ role: 'user', content: 'hi', metadata: sent }] }));
    expect(thread.metadata).toEqual(stored);
    const messages = await ok(call(server, 'GET', `/threads/${thread.id as string}/messages`));
    expect((messages.data as Array<{ metadata: unknown }>)[0]?.metadata).toEqual(stored);
    const run = await ok(call(server, 'POST', `/threads/${thread.id as string}/runs`, { assistant_id: assistant.id, metadata: sent }));
    expect(run.metadata).toEqual(stored);
    const modified = await ok(call(server, 'POST', `/threads/${thread.id as string}`, { metadata: { flag: true } }));
    expect(modified.metadata).toEqual({ flag: 'true' });
  });

  test('through the official SDK too', async () => {
    const client = new OpenAI({ baseURL: server.url, apiKey: server.apiKey });
    // The SDK's types say strings; clients written in plain JavaScript send what they have.
    const assistant = await client.beta.assistants.create({ model: 'gpt-4', metadata: { isOfficalAPI: false } as unknown as Record<string, string> });
    expect(assistant.metadata).toEqual({ isOfficalAPI: 'false' });
  });

  test('null, objects and arrays are still refused', async () => {
    for (const value of [null, { a: 1 }, [1]]) {
      const reply = await call(server, 'POST', '/assistants', { model: 'm', metadata: { k: value } });
      expect(errorOf(reply)).toMatchObject({ status: 400, param: 'metadata.k', code: 'invalid_type' });
    }
  });
});

test('invalid_beta names the header value received', async () => {
  const headers = { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' };
  for (const beta of ['assistants=v2', 'tools=v1, assistants=v2']) {
    const reply = await call(server, 'GET', '/assistants', undefined, { ...headers, 'openai-beta': beta });
    expect(errorOf(reply)).toEqual({
      status: 400,
      message: `The 'OpenAI-Beta' header is '${beta}', but it must include 'assistants=v1': this server answers the Assistants API v1 only.`,
      type: 'invalid_request_error',
      param: null,
      code: 'invalid_beta',
    });
  }
});

test('truncation_strategy last_messages: null is accepted, and keeps every message', async () => {
  const assistant = await createAssistant(server, { name: 'Counter' });
  const threadId = await threadWith(server, 'one', 'two', 'three');
  const created = await ok(
    call(server, 'POST', `/threads/${threadId}/runs`, {
      assistant_id: assistant.id,
      truncation_strategy: { type: 'last_messages', last_messages: null },
    }),
  );
  expect(created.truncation_strategy).toEqual({ type: 'last_messages', last_messages: null });
  expect((await settle(server, threadId, created.id as string)).status).toBe('completed');
  const reply = await ok(call(server, 'GET', `/threads/${threadId}/messages?run_id=${created.id as string}`));
  const text = (reply.data as Array<{ content: Array<{ text: { value: string } }> }>)[0]?.content[0]?.text.value;
  expect(text).toContain('I read 3 messages.');
});
