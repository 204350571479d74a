import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { call, errorOf } from './http.js';
import { eventNames, ok, postStream, settle, threadWith, weatherAssistant } from './threads-support.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ runStepMs: 2 });
});
afterAll(async () => {
  await server.close();
});

const MESSAGE_TAIL = [
  'thread.run.step.created',
  'thread.run.step.in_progress',
  'thread.message.created',
  'thread.message.in_progress',
  'thread.message.delta*',
  'thread.message.completed',
  'thread.run.step.completed',
  'thread.run.completed',
  'done',
];

describe('stream: true', () => {
  it('streams a whole function-calling conversation in the official event order', async () => {
    const assistantId = await weatherAssistant(server);
    const threadId = await threadWith(server, 'call get_weather for Rome');
    const first = await postStream(server, `/threads/${threadId}/runs`, { assistant_id: assistantId });
    expect(first.status).toBe(200);
    expect(first.contentType).toMatch(/^text\/event-stream/);
    expect(eventNames(first.events)).toEqual([
      'thread.run.created',
      'thread.run.queued',
      'thread.run.in_progress',
      'thread.run.step.created',
      'thread.run.step.in_progress',
      'thread.run.step.delta*',
      'thread.run.requires_action',
      'done',
    ]);
    expect(first.events.at(-1)).toEqual({ event: 'done', data: '[DONE]' });
    const created = JSON.parse(first.events[0]?.data ?? '{}');
    expect(created).toMatchObject({ object: 'thread.run', status: 'queued', thread_id: threadId });
    const stepCreated = JSON.parse(first.events[3]?.data ?? '{}');
    expect(stepCreated.step_details).toEqual({ type: 'tool_calls', tool_calls: [] });
    const deltas = first.events.filter((e) => e.event === 'thread.run.step.delta').map((e) => JSON.parse(e.data));
    expect(deltas[0].delta.step_details.tool_calls[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather', arguments: '', output: null } });
    const waiting = JSON.parse(first.events.at(-2)?.data ?? '{}');
    const toolCall = waiting.required_action.submit_tool_outputs.tool_calls[0];
    const streamedArguments = deltas.map((d) => d.delta.step_details.tool_calls[0].function.arguments).join('');
    expect(streamedArguments).toBe(toolCall.function.arguments);

    const second = await postStream(server, `/threads/${threadId}/runs/${created.id}/submit_tool_outputs`, {
      tool_outputs: [{ tool_call_id: toolCall.id, output: 'warm' }],
    });
    expect(eventNames(second.events)).toEqual([
      'thread.run.step.completed',
      'thread.run.queued',
      'thread.run.in_progress',
      ...MESSAGE_TAIL,
    ]);
    const messageDeltas = second.events.filter((e) => e.event === 'thread.message.delta').map((e) => JSON.parse(e.data));
    expect(messageDeltas.length).toBeGreaterThan(1);
    const completed = JSON.parse(second.events.find((e) => e.event === 'thread.message.completed')?.data ?? '{}');
    expect(messageDeltas.map((d) => d.delta.content[0].text.value).join('')).toBe(completed.content[0].text.value);
    expect(completed.content[0].text.value).toContain('get_weather returned: warm');
    const finalRun = JSON.parse(second.events.at(-2)?.data ?? '{}');
    expect(finalRun).toMatchObject({ id: created.id, status: 'completed' });
    expect(await ok(call(server, 'GET', `/threads/${threadId}/runs/${created.id}`))).toEqual(finalRun);
  });

  it('createThreadAndRun streams thread.created first', async () => {
    const assistantId = await weatherAssistant(server);
    const { events } = await postStream(server, '/threads/runs', {
      assistant_id: assistantId,
      thread: { messages: [{ role: 'user', content: 'hello' }] },
    });
    expect(eventNames(events)).toEqual(['thread.created', 'thread.run.created', 'thread.run.queued', 'thread.run.in_progress', ...MESSAGE_TAIL]);
    const thread = JSON.parse(events[0]?.data ?? '{}');
    expect(thread).toMatchObject({ object: 'thread', metadata: {} });
    expect(JSON.parse(events[1]?.data ?? '{}').thread_id).toBe(thread.id);
  });

  it('ends an incomplete reply with thread.message.incomplete', async () => {
    const assistantId = await weatherAssistant(server);
    const threadId = await threadWith(server, Array.from({ length: 300 }, () => 'word').join(' '));
    const { events } = await postStream(server, `/threads/${threadId}/runs`, { assistant_id: assistantId, max_completion_tokens: 256 });
    expect(eventNames(events)).toContain('thread.message.incomplete');
    expect(eventNames(events)).not.toContain('thread.message.completed');
    expect(JSON.parse(events.at(-2)?.data ?? '{}')).toMatchObject({ status: 'completed', incomplete_details: { reason: 'max_completion_tokens' } });
  });

  it('answers a bad streaming request with a JSON error, not a stream', async () => {
    const threadId = await threadWith(server, 'x');
    const response = await fetch(`${server.url}/threads/${threadId}/runs`, {
      method: 'POST',
      headers: server.headers,
      body: JSON.stringify({ assistant_id: 'asst_nope', stream: true }),
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json');
    const submit = await call(server, 'POST', `/threads/${threadId}/runs/run_nope/submit_tool_outputs`, { tool_outputs: [], stream: true });
    expect(errorOf(submit).status).toBe(404);
  });

  it('a client that disconnects mid-stream leaves the run to finish consistently', async () => {
    const slow = await startTestServer({ runStepMs: 30 });
    try {
      const assistantId = await weatherAssistant(slow);
      const threadId = await threadWith(slow, 'a long enough question to stream in several deltas');
      const runId = await new Promise<string>((resolve, reject) => {
        const req = request(
          `${slow.url}/threads/${threadId}/runs`,
          { method: 'POST', headers: slow.headers },
          (res) => {
            let buffer = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              buffer += chunk;
              const match = /event: thread\.run\.created\ndata: (.*)\n/.exec(buffer);
              if (match?.[1] && buffer.includes('event: thread.message.delta')) {
                resolve(JSON.parse(match[1]).id as string);
                req.destroy();
              }
            });
            res.on('error', () => undefined);
          },
        );
        req.on('error', () => undefined);
        req.end(JSON.stringify({ assistant_id: assistantId, stream: true }));
        setTimeout(() => reject(new Error('no delta arrived')), 5000);
      });
      const done = await settle(slow, threadId, runId);
      expect(done.status).toBe('completed');
      const list = await ok(call(slow, 'GET', `/threads/${threadId}/messages?run_id=${runId}`));
      expect((list.data as Array<Record<string, unknown>>)[0]).toMatchObject({ status: 'completed' });
      const steps = await ok(call(slow, 'GET', `/threads/${threadId}/runs/${runId}/steps`));
      expect((steps.data as Array<Record<string, unknown>>).every((step) => step.status === 'completed')).toBe(true);
      // The server still answers, and the thread takes a new run.
      const next = await ok(call(slow, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistantId }));
      expect((await settle(slow, threadId, next.id as string)).status).toBe('completed');
    } finally {
      await slow.close();
    }
  });

  it('streams cancellation events to a listener when the run is cancelled mid-stream', async () => {
    const slow = await startTestServer({ runStepMs: 40 });
    try {
      const assistantId = await weatherAssistant(slow);
      const threadId = await threadWith(slow, 'something to say');
      const streaming = postStream(slow, `/threads/${threadId}/runs`, { assistant_id: assistantId });
      let runId: string | undefined;
      while (runId === undefined) {
        const messages = await ok(call(slow, 'GET', `/threads/${threadId}/messages`));
        runId = (messages.data as Array<{ run_id: string | null }>)[0]?.run_id ?? undefined;
      }
      await ok(call(slow, 'POST', `/threads/${threadId}/runs/${runId}/cancel`));
      const { events } = await streaming;
      const names = eventNames(events);
      expect(names.slice(names.indexOf('thread.run.cancelling'))).toEqual([
        'thread.run.cancelling',
        'thread.run.step.cancelled',
        'thread.message.incomplete',
        'thread.run.cancelled',
        'done',
      ]);
      expect(JSON.parse(events.at(-2)?.data ?? '{}')).toMatchObject({ status: 'cancelled' });
    } finally {
      await slow.close();
    }
  });
});

describe('a stream whose run can no longer go on', () => {
  it('ends with an error event when the thread is deleted, or the server reset, mid-stream', async () => {
    const slow = await startTestServer({ runStepMs: 60_000 });
    try {
      for (const interrupt of ['delete', 'reset'] as const) {
        const assistantId = await weatherAssistant(slow);
        const threadId = await threadWith(slow, 'Hello.');
        const streamed = postStream(slow, `/threads/${threadId}/runs`, { assistant_id: assistantId });
        // The run is queued for a minute: interrupt it meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 100));
        if (interrupt === 'delete') expect((await call(slow, 'DELETE', `/threads/${threadId}`)).status).toBe(200);
        else expect((await fetch(`${slow.origin}/_admin/reset`, { method: 'POST' })).status).toBe(200);
        const { events } = await streamed;
        expect(events.map((e) => e.event)).toEqual(['thread.run.created', 'thread.run.queued', 'error']);
        expect(JSON.parse(events[2]?.data ?? '{}')).toEqual({
          message: interrupt === 'delete' ? `The thread ${threadId} was deleted while its run was streaming.` : 'The server was reset while this run was streaming.',
          type: 'invalid_request_error',
          param: null,
          code: null,
        });
      }
    } finally {
      await slow.close();
    }
  });
});
