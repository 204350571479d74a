/**
 * Fidelity to the official description: every operation's answer, from a server driven
 * over HTTP through a whole conversation, validates against that operation's 200
 * response schema in OpenAI's OpenAPI spec (test/fixtures/openapi-v1-responses.json,
 * extracted unmodified from docs/reference/openai-openapi-assistants-v1.yaml); error bodies against
 * ErrorResponse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { operations, validatorFor } from './openapi-schemas.js';
import { streamEvents } from './spec-fetch.js';

const checked = new Set<string>();
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ runStepMs: 5 });
});
afterAll(() => server.close());

/** Sends the request and checks the 200 answer against the operation's response schema. */
async function call(method: string, template: string, values: Record<string, string> = {}, body?: unknown): Promise<Record<string, unknown>> {
  const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => values[name] ?? `missing-${name}`);
  const headers: Record<string, string> = { ...server.headers };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) {
    delete headers['content-type'];
    payload = body;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
  }
  const response = await fetch(`${server.url}${path}`, { method, headers, body: payload });
  const json = (await response.json()) as Record<string, unknown>;
  expect(response.status, `${method} ${path}: ${JSON.stringify(json)}`).toBe(200);
  const operation = `${method} ${template}`;
  const spec = operations[operation];
  if (!spec) throw new Error(`no operation ${operation} in the spec`);
  const validate = validatorFor(spec.response);
  expect(validate(json) ? [] : validate.errors, `${spec.operationId} (${spec.response})`).toEqual([]);
  checked.add(operation);
  return json;
}

async function until(read: () => Promise<Record<string, unknown>>, done: (run: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  for (let i = 0; i < 200; i++) {
    const run = await read();
    if (done(run)) return run;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('run did not settle');
}

describe('the local server against the official OpenAPI response schemas', () => {
  it('answers every operation as its 200 response schema says, through a whole conversation', async () => {
    const form = new FormData();
    form.append('purpose', 'assistants');
    form.append('file', new Blob(['Paris is in France.\n']), 'facts.txt');
    const file = await call('POST', '/files', {}, form);
    const ids = { file_id: file.id as string };
    await call('GET', '/files');
    await call('GET', '/files/{file_id}', ids);

    const weather = {
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'Weather for a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    };
    const assistant = await call('POST', '/assistants', {}, {
      model: 'gpt-4-turbo',
      name: 'Weather',
      instructions: 'Answer about the weather.',
      tools: [{ type: 'code_interpreter' }, { type: 'retrieval' }, weather],
      file_ids: [ids.file_id],
      metadata: { team: 'cx' },
    });
    const a = { ...ids, assistant_id: assistant.id as string };
    await call('GET', '/assistants');
    await call('GET', '/assistants/{assistant_id}', a);
    await call('POST', '/assistants/{assistant_id}', a, { description: 'Knows the weather.' });
    await call('GET', '/assistants/{assistant_id}/files', a);
    await call('GET', '/assistants/{assistant_id}/files/{file_id}', a);
    await call('DELETE', '/assistants/{assistant_id}/files/{file_id}', a);
    await call('POST', '/assistants/{assistant_id}/files', a, { file_id: ids.file_id });

    const thread = await call('POST', '/threads', {}, {
      messages: [{ role: 'user', content: 'Hello', file_ids: [ids.file_id] }],
      metadata: { channel: 'web' },
    });
    const t = { ...a, thread_id: thread.id as string };
    await call('GET', '/threads/{thread_id}', t);
    await call('POST', '/threads/{thread_id}', t, { metadata: { channel: 'app' } });
    const message = await call('POST', '/threads/{thread_id}/messages', t, { role: 'user', content: 'What does get_weather say for Paris?' });
    const m = { ...t, message_id: message.id as string };
    await call('GET', '/threads/{thread_id}/messages/{message_id}', m);
    await call('POST', '/threads/{thread_id}/messages/{message_id}', m, { metadata: { read: 'yes' } });
    const [first] = (await call('GET', '/threads/{thread_id}/messages', t, undefined)).data as Array<{ id: string }>;
    expect(first).toBeDefined();

    const run = await call('POST', '/threads/{thread_id}/runs', t, { assistant_id: a.assistant_id });
    const r = { ...m, run_id: run.id as string };
    const waiting = await until(
      () => call('GET', '/threads/{thread_id}/runs/{run_id}', r),
      (current) => current.status === 'requires_action',
    );
    const toolCalls = (waiting.required_action as { submit_tool_outputs: { tool_calls: Array<{ id: string }> } }).submit_tool_outputs.tool_calls;
    await call('POST', '/threads/{thread_id}/runs/{run_id}/submit_tool_outputs', r, {
      tool_outputs: toolCalls.map((c) => ({ tool_call_id: c.id, output: '{"celsius": 21}' })),
    });
    await until(
      () => call('GET', '/threads/{thread_id}/runs/{run_id}', r),
      (current) => current.status === 'completed',
    );
    await call('POST', '/threads/{thread_id}/runs/{run_id}', r, { metadata: { reviewed: 'no' } });
    await call('GET', '/threads/{thread_id}/runs', r);
    const steps = (await call('GET', '/threads/{thread_id}/runs/{run_id}/steps', r)).data as Array<{ id: string }>;
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) await call('GET', '/threads/{thread_id}/runs/{run_id}/steps/{step_id}', { ...r, step_id: step.id });
    await call('GET', '/threads/{thread_id}/messages', t);

    const withFile = await call('POST', '/threads/{thread_id}/messages', t, { role: 'user', content: 'See the file.', file_ids: [ids.file_id] });
    const mf = { ...t, message_id: withFile.id as string };
    await call('GET', '/threads/{thread_id}/messages/{message_id}/files', mf);
    await call('GET', '/threads/{thread_id}/messages/{message_id}/files/{file_id}', mf);

    const another = await call('POST', '/threads/runs', {}, {
      assistant_id: a.assistant_id,
      thread: { messages: [{ role: 'user', content: 'Tell me a long story.' }] },
    });
    await call('POST', '/threads/{thread_id}/runs/{run_id}/cancel', { thread_id: another.thread_id as string, run_id: another.id as string });

    await call('DELETE', '/threads/{thread_id}', t);
    await call('DELETE', '/assistants/{assistant_id}', a);
    await call('DELETE', '/files/{file_id}', ids);

    // Every operation of the spec was exercised (downloadFile's body is not JSON).
    expect([...checked].sort()).toEqual(Object.keys(operations).sort());
  });

  it('streams events that each validate as the spec\'s AssistantStreamEvent, ending with done', async () => {
    const assistant = await call('POST', '/assistants', {}, {
      model: 'gpt-4-turbo',
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
    });
    const streamed = async (path: string, body: unknown): Promise<Array<{ event: string; data: unknown }>> => {
      const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: server.headers, body: JSON.stringify(body) });
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const events = streamEvents(await response.text());
      const validate = validatorFor('AssistantStreamEvent');
      for (const event of events) expect(validate(event) ? [] : validate.errors, event.event).toEqual([]);
      return events;
    };
    const first = await streamed('/threads/runs', {
      assistant_id: assistant.id,
      thread: { messages: [{ role: 'user', content: 'Please call lookup.' }] },
      stream: true,
    });
    expect(first[0]?.event).toBe('thread.created');
    const waiting = first.find((e) => e.event === 'thread.run.requires_action')?.data as {
      id: string;
      thread_id: string;
      required_action: { submit_tool_outputs: { tool_calls: Array<{ id: string }> } };
    };
    const second = await streamed(`/threads/${waiting.thread_id}/runs/${waiting.id}/submit_tool_outputs`, {
      tool_outputs: waiting.required_action.submit_tool_outputs.tool_calls.map((c) => ({ tool_call_id: c.id, output: 'found' })),
      stream: true,
    });
    const names = new Set([...first, ...second].map((e) => e.event));
    for (const name of ['thread.run.created', 'thread.run.step.delta', 'thread.message.delta', 'thread.run.completed']) expect(names).toContain(name);
    expect(second.at(-1)).toEqual({ event: 'done', data: '[DONE]' });
  });

  it('answers an empty list, a 404 and a 400 with the spec\'s shapes', async () => {
    await call('GET', '/assistants/{assistant_id}/files', { assistant_id: (await call('POST', '/assistants', {}, { model: 'gpt-4' })).id as string });
    const validateError = validatorFor('ErrorResponse');
    for (const [path, init] of [
      ['/assistants/asst_nope', {}],
      ['/assistants', { method: 'POST', body: JSON.stringify({ name: 'no model' }) }],
    ] as const) {
      const response = await fetch(`${server.url}${path}`, { headers: server.headers, ...init });
      expect(response.status).toBeGreaterThanOrEqual(400);
      const body: unknown = await response.json();
      expect(validateError(body) ? [] : validateError.errors).toEqual([]);
    }
  });
});
