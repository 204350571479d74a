/**
 * `serve --model chat` when the upstream misbehaves: a 429, a 5xx, a bad key, an unknown
 * model, no answer in time, no server at all, an answer that is not JSON, a stream cut off
 * mid-way, a tool call with arguments that are not JSON. Each run ends `failed` with the
 * documented `last_error` (docs/models.md), nothing hangs, the thread stays usable, and the
 * server keeps serving: the next run on the same thread completes. A cancel aborts the
 * upstream request; code_interpreter fails clearly without a request.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startTestServer, type TestServer } from '../support/server.js';
import { startFakeUpstream, type FakeUpstream, type ScriptedReply } from './fake-chat-upstream.js';
import { call } from './http.js';
import { ok, settle, threadWith, WEATHER_TOOL } from './threads-support.js';

const KEY = 'sk-upstream-never-shown-42';

let upstream: FakeUpstream;
let server: TestServer;
let assistantId: string;
beforeAll(async () => {
  upstream = await startFakeUpstream();
  server = await startTestServer({
    runStepMs: 2,
    log: () => undefined,
    model: { type: 'chat', upstreamUrl: upstream.url, apiKey: KEY, timeoutMs: 300 },
  });
  assistantId = (await ok(call(server, 'POST', '/assistants', { model: 'gpt-4', instructions: 'Be brief.', tools: [WEATHER_TOOL] }))).id as string;
});
afterAll(async () => {
  await server.close();
  await upstream.close();
});

async function runWith(reply: ScriptedReply | ScriptedReply[], threadId?: string): Promise<Record<string, any>> {
  upstream.script(...[reply].flat());
  const thread = threadId ?? (await threadWith(server, 'Weather in Rome?'));
  const created = await ok(call(server, 'POST', `/threads/${thread}/runs`, { assistant_id: assistantId }));
  return settle(server, thread, created.id as string);
}

describe('upstream failures end the run failed with the documented last_error', () => {
  test.each<[string, ScriptedReply, string, RegExp]>([
    ['a 429', { status: 429, message: 'Rate limit reached for requests' }, 'rate_limit_exceeded', /^The upstream model server answered 429 Too Many Requests: Rate limit reached for requests$/],
    ['a 500', { status: 500, message: 'CUDA out of memory' }, 'server_error', /^The upstream model server answered 500 Internal Server Error: CUDA out of memory$/],
    ['a 503', { status: 503, message: 'model is loading' }, 'server_error', /^The upstream model server answered 503 Service Unavailable: model is loading$/],
    ['a bad key', { status: 401, message: `Incorrect API key provided: ${KEY}` }, 'server_error', /^The upstream model server answered 401 Unauthorized: Incorrect API key provided: \(sensitive\)$/],
    ['an unknown model', { status: 404, message: "model 'gpt-4' not found, try pulling it first" }, 'server_error', /answered 404 Not Found: model 'gpt-4' not found/],
    ['no answer in time', { hang: true }, 'server_error', /^The upstream model server did not answer within 300 ms\.$/],
    ['an answer that is not JSON', { raw: '<html>Bad gateway</html>', contentType: 'application/json' }, 'server_error', /answer could not be used: its answer is not JSON/],
    ['a stream event that is not JSON', { raw: 'data: {"choices": [\n\n', contentType: 'text/event-stream' }, 'server_error', /a stream event that is not JSON/],
    ['a stream cut off mid-way', { text: 'It is sunny and warm in Rome today.', cutAfter: 3 }, 'server_error', /connection broke off in the middle of its answer|stream stopped before the reply was finished/],
    ['a stream that goes silent mid-way', { text: 'It is sunny and warm in Rome today.', stallAfter: 3 }, 'server_error', /^The upstream model server stopped sending its answer for 300 ms\.$/],
    ['arguments that are not JSON', { toolCalls: [{ name: 'get_weather', arguments: '{"city": "Ro' }] }, 'server_error', /^The model called 'get_weather' with arguments that are not JSON: \{"city": "Ro$/],
    ['a function the run does not have', { toolCalls: [{ name: 'rm_rf', arguments: '{}' }] }, 'server_error', /a function the run does not have: 'rm_rf'/],
  ])('%s', async (_name, reply, code, message) => {
    const run = await runWith(reply);
    expect(run).toMatchObject({ status: 'failed', last_error: { code }, failed_at: expect.any(Number), required_action: null });
    expect(run.last_error.message).toMatch(message);
    expect(JSON.stringify(run)).not.toContain(KEY);
    // The thread stays usable: the next run on it completes.
    const next = await runWith({ text: 'Sunny, 24 degrees.' }, run.thread_id as string);
    expect(next.status).toBe('completed');
  });

  test('a stream cut off mid-way leaves its message incomplete and its step failed, with what was said so far', async () => {
    const run = await runWith({ text: 'It is sunny and warm in Rome today, 26 degrees.', cutAfter: 4 });
    expect(run.status).toBe('failed');
    const messages = await ok(call(server, 'GET', `/threads/${run.thread_id as string}/messages?run_id=${run.id as string}`));
    const [message] = messages.data as Array<Record<string, any>>;
    expect(message).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'run_failed' } });
    expect(message?.content[0].text.value).toBe('It is sunny and warm ');
    const steps = await ok(call(server, 'GET', `/threads/${run.thread_id as string}/runs/${run.id as string}/steps`));
    expect(steps.data).toMatchObject([{ type: 'message_creation', status: 'failed', last_error: { code: 'server_error' } }]);
  });
});

test('a server that refuses stream_options is asked again without it, and never with it again', async () => {
  const before = upstream.requests.length;
  const run = await runWith([{ status: 400, message: "1 validation error: extra fields not permitted ('body', 'stream_options')" }, { text: 'Sunny.' }]);
  expect(run.status).toBe('completed');
  const asked = upstream.requests.slice(before);
  expect(asked.map((request) => request.body.stream_options)).toEqual([{ include_usage: true }, undefined]);
  upstream.requests.length = 0;
  expect((await runWith({ text: 'Sunny.' })).status).toBe('completed');
  expect(upstream.requests[0]?.body.stream_options).toBeUndefined();
});

test('a cancel aborts the upstream request, and the run ends cancelled', async () => {
  const abortedBefore = upstream.aborted;
  upstream.script({ hang: true });
  const thread = await threadWith(server, 'Tell me a very long story.');
  const created = await ok(call(server, 'POST', `/threads/${thread}/runs`, { assistant_id: assistantId }));
  const sent = upstream.requests.length;
  for (let i = 0; i < 200 && upstream.requests.length === sent; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  const cancelling = await ok(call(server, 'POST', `/threads/${thread}/runs/${created.id as string}/cancel`));
  expect(cancelling.status).toBe('cancelling');
  expect((await settle(server, thread, created.id as string)).status).toBe('cancelled');
  for (let i = 0; i < 200 && upstream.aborted === abortedBefore; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(upstream.aborted).toBe(abortedBefore + 1);
});

test('code_interpreter fails the run clearly, and nothing is sent upstream', async () => {
  const sent = upstream.requests.length;
  const coder = await ok(call(server, 'POST', '/assistants', { model: 'gpt-4', tools: [{ type: 'code_interpreter' }] }));
  const thread = await threadWith(server, 'Compute 6*7.');
  const created = await ok(call(server, 'POST', `/threads/${thread}/runs`, { assistant_id: coder.id }));
  const run = (await settle(server, thread, created.id as string)) as Record<string, any>;
  expect(run).toMatchObject({ status: 'failed', last_error: { code: 'invalid_prompt' } });
  expect(run.last_error.message).toMatch(/^This server runs no code: the code_interpreter tool needs a sandbox/);
  expect(upstream.requests.length).toBe(sent);
});

test('an upstream that is not there: runs fail naming it, and the server keeps serving', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as AddressInfo;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const lonely = await startTestServer({ runStepMs: 2, log: () => undefined, model: { type: 'chat', upstreamUrl: `http://127.0.0.1:${port}/v1` } });
  try {
    const assistant = await ok(call(lonely, 'POST', '/assistants', { model: 'gpt-4' }));
    const thread = await threadWith(lonely, 'Hello?');
    for (let attempt = 0; attempt < 2; attempt++) {
      const created = await ok(call(lonely, 'POST', `/threads/${thread}/runs`, { assistant_id: assistant.id }));
      const run = (await settle(lonely, thread, created.id as string)) as Record<string, any>;
      expect(run).toMatchObject({ status: 'failed', last_error: { code: 'server_error' } });
      expect(run.last_error.message).toBe(`The upstream model server at http://127.0.0.1:${port}/v1 could not be reached (connect ECONNREFUSED 127.0.0.1:${port}).`);
    }
    expect((await call(lonely, 'GET', '/assistants')).status).toBe(200);
  } finally {
    await lonely.close();
  }
});

test('deleting the thread, or closing the server, while the upstream answers aborts its request', async () => {
  const waitFor = async (done: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  upstream.script({ hang: true });
  const thread = await threadWith(server, 'Think hard.');
  let aborted = upstream.aborted;
  let sent = upstream.requests.length;
  await ok(call(server, 'POST', `/threads/${thread}/runs`, { assistant_id: assistantId }));
  await waitFor(() => upstream.requests.length > sent);
  await ok(call(server, 'DELETE', `/threads/${thread}`));
  await waitFor(() => upstream.aborted > aborted);
  expect(upstream.aborted).toBe(aborted + 1);

  const closing = await startTestServer({ runStepMs: 2, log: () => undefined, model: { type: 'chat', upstreamUrl: upstream.url } });
  const assistant = await ok(call(closing, 'POST', '/assistants', { model: 'gpt-4' }));
  upstream.script({ hang: true });
  aborted = upstream.aborted;
  sent = upstream.requests.length;
  await ok(call(closing, 'POST', '/threads/runs', { assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: 'Hi' }] } }));
  await waitFor(() => upstream.requests.length > sent);
  await closing.close();
  await waitFor(() => upstream.aborted > aborted);
  expect(upstream.aborted).toBe(aborted + 1);
});

test('the upstream sees the thread after truncation_strategy and max_prompt_tokens', async () => {
  const long = 'word '.repeat(1200);
  const thread = await threadWith(server, `Old: ${long}`, 'Middle question?', 'Newest question?');
  const turns: Array<Array<{ role: string; content: string | null }>> = [];
  for (const settings of [{ truncation_strategy: { type: 'last_messages', last_messages: 1 } }, { max_prompt_tokens: 1000 }]) {
    upstream.script({ text: 'Answered.' });
    const created = await ok(call(server, 'POST', `/threads/${thread}/runs`, { assistant_id: assistantId, ...settings }));
    expect((await settle(server, thread, created.id as string)).status).toBe('completed');
    turns.push(upstream.requests.at(-1)?.body.messages ?? []);
  }
  expect(turns[0]).toEqual([
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Newest question?' },
  ]);
  // The 6,000-character message (about 1,500 tokens) no longer fits: the oldest go first.
  expect(turns[1]?.map((message) => message.content)).toEqual(['Be brief.', 'Middle question?', 'Newest question?', 'Answered.']);
});
