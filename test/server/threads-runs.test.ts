import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { call, createAssistant, errorOf } from './http.js';
import { ok, settle, threadWith, WEATHER_TOOL, weatherAssistant } from './threads-support.js';
import { makeTempDir } from '../support/temp-dir.js';

const RUN_ID = /^run_[A-Za-z0-9]{24}$/;
const STEP_ID = /^step_[A-Za-z0-9]{24}$/;
const MSG_ID = /^msg_[A-Za-z0-9]{24}$/;

const RUN_FIELDS = [
  'id', 'object', 'created_at', 'thread_id', 'assistant_id', 'status', 'required_action', 'last_error', 'expires_at',
  'started_at', 'cancelled_at', 'failed_at', 'completed_at', 'incomplete_details', 'model', 'instructions', 'tools',
  'file_ids', 'metadata', 'usage', 'temperature', 'max_prompt_tokens', 'max_completion_tokens', 'truncation_strategy',
  'tool_choice', 'response_format',
].sort();
const STEP_FIELDS = [
  'id', 'object', 'created_at', 'assistant_id', 'thread_id', 'run_id', 'type', 'status', 'step_details', 'last_error',
  'expired_at', 'cancelled_at', 'failed_at', 'completed_at', 'metadata', 'usage',
].sort();

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ runStepMs: 5 });
});
afterAll(async () => {
  await server.close();
});

async function assistantMessages(threadId: string, runId: string): Promise<Array<Record<string, unknown>>> {
  const list = await ok(call(server, 'GET', `/threads/${threadId}/messages?run_id=${runId}`));
  return list.data as Array<Record<string, unknown>>;
}

function textOf(message: Record<string, unknown> | undefined): string {
  const content = (message?.content ?? []) as Array<{ text: { value: string } }>;
  return content.map((part) => part.text.value).join('');
}

describe('a whole conversation with a function tool', () => {
  it('requires action, takes the outputs, completes with a message that uses them, and lists its steps', async () => {
    const assistantId = await weatherAssistant(server);
    const threadId = await threadWith(server, 'Please call get_weather for Paris.');
    const created = await ok(call(server, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistantId, metadata: { k: 'v' } }));
    expect(Object.keys(created).sort()).toEqual(RUN_FIELDS);
    expect(created).toMatchObject({
      object: 'thread.run',
      status: 'queued',
      thread_id: threadId,
      assistant_id: assistantId,
      model: 'gpt-4-turbo',
      instructions: 'Answer weather questions.',
      tools: [WEATHER_TOOL],
      metadata: { k: 'v' },
      usage: null,
      temperature: 1,
      truncation_strategy: { type: 'auto', last_messages: null },
      tool_choice: 'auto',
      response_format: 'auto',
      started_at: null,
    });
    expect(created.id).toMatch(RUN_ID);
    expect(created.expires_at).toBe((created.created_at as number) + 600);

    const waiting = await settle(server, threadId, created.id as string);
    expect(waiting.status).toBe('requires_action');
    expect(waiting.started_at).toEqual(expect.any(Number));
    const calls = (waiting.required_action as { submit_tool_outputs: { tool_calls: Array<Record<string, any>> } })
      .submit_tool_outputs.tool_calls;
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
    expect(calls[0]?.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    // Minimal arguments that satisfy the schema: required properties only, first enum value, minimum.
    expect(JSON.parse(calls[0]?.function.arguments as string)).toEqual({ city: '', unit: 'celsius', days: 1 });

    const callId = calls[0]?.id as string;
    const queued = await ok(
      call(server, 'POST', `/threads/${threadId}/runs/${created.id}/submit_tool_outputs`, {
        tool_outputs: [{ tool_call_id: callId, output: '21 degrees and sunny' }],
      }),
    );
    expect(queued).toMatchObject({ status: 'queued', required_action: null });

    const done = await settle(server, threadId, created.id as string);
    expect(done).toMatchObject({ status: 'completed', expires_at: null, last_error: null, incomplete_details: null });
    expect(done.completed_at).toEqual(expect.any(Number));
    const usage = done.usage as { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    expect(usage.completion_tokens).toBeGreaterThan(0);

    const [reply] = await assistantMessages(threadId, created.id as string);
    expect(reply).toMatchObject({ role: 'assistant', status: 'completed', assistant_id: assistantId, run_id: created.id });
    expect(reply?.id).toMatch(MSG_ID);
    expect(textOf(reply)).toBe(
      [
        'This is Weather Bot.',
        'My instructions: Answer weather questions.',
        'You said: "Please call get_weather for Paris."',
        'get_weather returned: 21 degrees and sunny',
        'I read 1 message.',
      ].join('\n'),
    );

    const steps = await ok(call(server, 'GET', `/threads/${threadId}/runs/${created.id}/steps?order=asc`));
    const data = steps.data as Array<Record<string, any>>;
    expect(data.map((step) => [step.type, step.status])).toEqual([
      ['tool_calls', 'completed'],
      ['message_creation', 'completed'],
    ]);
    for (const step of data) {
      expect(Object.keys(step).sort()).toEqual(STEP_FIELDS);
      expect(step.id).toMatch(STEP_ID);
      expect(step.usage.total_tokens).toBe(step.usage.prompt_tokens + step.usage.completion_tokens);
    }
    expect(data[0]?.step_details).toEqual({
      type: 'tool_calls',
      tool_calls: [{ id: callId, type: 'function', function: { name: 'get_weather', arguments: calls[0]?.function.arguments, output: '21 degrees and sunny' } }],
    });
    expect(data[1]?.step_details).toEqual({ type: 'message_creation', message_creation: { message_id: reply?.id } });
    expect(usage.total_tokens).toBe(data[0]?.usage.total_tokens + data[1]?.usage.total_tokens);

    const one = await ok(call(server, 'GET', `/threads/${threadId}/runs/${created.id}/steps/${data[1]?.id}`));
    expect(one).toEqual(data[1]);
    expect(steps).toMatchObject({ object: 'list', first_id: data[0]?.id, last_id: data[1]?.id, has_more: false });
  });

  it('answers without a tool when no function is named, quoting the last user message', async () => {
    const assistantId = await weatherAssistant(server);
    const threadId = await threadWith(server, 'first', 'How are you?');
    const run = await ok(call(server, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistantId }));
    const done = await settle(server, threadId, run.id as string);
    expect(done.status).toBe('completed');
    const [reply] = await assistantMessages(threadId, run.id as string);
    expect(textOf(reply)).toContain('You said: "How are you?"');
    expect(textOf(reply)).toContain('I read 2 messages.');
    const steps = await ok(call(server, 'GET', `/threads/${threadId}/runs/${run.id}/steps`));
    expect((steps.data as Array<{ type: string }>).map((step) => step.type)).toEqual(['message_creation']);
  });

  it('is seen queued, then in_progress, by a poller', async () => {
    const slow = await startTestServer({ runStepMs: 80 });
    try {
      const assistantId = await weatherAssistant(slow);
      const threadId = await threadWith(slow, 'hello');
      // The engine's timers are faked from here: the run moves a phase only when the test lets
      // the time pass, so the poller sees every status however slow the machine.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const run = await ok(call(slow, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistantId }));
      const status = async (): Promise<unknown> => (await ok(call(slow, 'GET', `/threads/${threadId}/runs/${run.id}`))).status;
      const seen = [await status()];
      expect(seen).toEqual(['queued']);
      while (seen.at(-1) !== 'completed' && seen.length < 5) {
        await vi.advanceTimersByTimeAsync(80);
        const now = await status();
        if (now !== seen.at(-1)) seen.push(now);
      }
      expect(seen).toEqual(['queued', 'in_progress', 'completed']);
    } finally {
      vi.useRealTimers();
      await slow.close();
    }
  });
});

describe('the stand-in model', () => {
  async function runAndReply(threadId: string, body: Record<string, unknown>): Promise<{ run: Record<string, unknown>; text: string; message: Record<string, unknown> | undefined }> {
    const created = await ok(call(server, 'POST', `/threads/${threadId}/runs`, body));
    const run = await settle(server, threadId, created.id as string);
    const [message] = await assistantMessages(threadId, created.id as string);
    return { run, text: textOf(message), message };
  }

  it("tool_choice 'none' answers without calling the named function", async () => {
    const assistantId = await weatherAssistant(server);
    const threadId = await threadWith(server, 'call get_weather please');
    const { run, text } = await runAndReply(threadId, { assistant_id: assistantId, tool_choice: 'none' });
    expect(run.status).toBe('completed');
    expect(text).toContain('You said: "call get_weather please"');
  });

  it('a tool_choice naming a function calls it even when the message does not name it', async () => {
    const assistantId = await weatherAssistant(server);
    const threadId = await threadWith(server, 'what is it like outside?');
    const created = await ok(
      call(server, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistantId, tool_choice: { type: 'function', function: { name: 'get_weather' } } }),
    );
    const run = await settle(server, threadId, created.id as string);
    expect(run.status).toBe('requires_action');
    expect(run.tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
  });

  it('a tool_choice of code_interpreter runs it, records its logs and answers without requiring action', async () => {
    const assistantId = await weatherAssistant(server, { tools: [{ type: 'code_interpreter' }] });
    const threadId = await threadWith(server, 'compute 6*7');
    const { run, text } = await runAndReply(threadId, { assistant_id: assistantId, tool_choice: { type: 'code_interpreter' } });
    expect(run.status).toBe('completed');
    expect(text).toContain('code_interpreter returned: compute 6*7');
    const steps = await ok(call(server, 'GET', `/threads/${threadId}/runs/${run.id}/steps?order=asc`));
    const [tool] = steps.data as Array<Record<string, any>>;
    expect(tool?.step_details.tool_calls[0]).toMatchObject({
      type: 'code_interpreter',
      code_interpreter: { input: 'print("compute 6*7")', outputs: [{ type: 'logs', logs: 'compute 6*7' }] },
    });
  });

  it('a tool_choice for a tool the run does not have fails the run with last_error', async () => {
    const assistantId = await weatherAssistant(server);
    const threadId = await threadWith(server, 'hi');
    const created = await ok(call(server, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistantId, tool_choice: { type: 'retrieval' } }));
    const run = await settle(server, threadId, created.id as string);
    expect(run).toMatchObject({ status: 'failed', last_error: { code: 'invalid_prompt' }, completed_at: null });
    expect(run.failed_at).toEqual(expect.any(Number));
    expect(run.usage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  });

  it('instructions override and additional_instructions change the reply', async () => {
    const assistantId = await weatherAssistant(server);
    const threadId = await threadWith(server, 'hi');
    const { run, text } = await runAndReply(threadId, {
      assistant_id: assistantId,
      instructions: 'Be brief.',
      additional_instructions: 'Speak like a pirate.',
    });
    expect(run.instructions).toBe('Be brief. Speak like a pirate.');
    expect(text).toContain('My instructions: Be brief. Speak like a pirate.');
  });

  it('truncation_strategy last_messages limits what it reads and quotes', async () => {
    const assistantId = await weatherAssistant(server);
    const threadId = await threadWith(server, 'one', 'two', 'three');
    const full = await runAndReply(threadId, { assistant_id: assistantId });
    expect(full.text).toContain('I read 3 messages.');
    const cut = await runAndReply(threadId, {
      assistant_id: assistantId,
      truncation_strategy: { type: 'last_messages', last_messages: 1 },
      additional_messages: [{ role: 'user', content: 'four' }],
    });
    expect(cut.text).toContain('You said: "four"');
    expect(cut.text).toContain('I read 1 message.');
    expect(cut.run.truncation_strategy).toEqual({ type: 'last_messages', last_messages: 1 });
  });

  it('max_completion_tokens cuts the reply short: message incomplete (max_tokens), run incomplete_details', async () => {
    const assistantId = await weatherAssistant(server);
    const long = Array.from({ length: 300 }, (_, index) => `w${index}`).join(' ');
    const threadId = await threadWith(server, long);
    const { run, text, message } = await runAndReply(threadId, { assistant_id: assistantId, max_completion_tokens: 256 });
    expect(run).toMatchObject({
      status: 'completed',
      incomplete_details: { reason: 'max_completion_tokens' },
      max_completion_tokens: 256,
    });
    expect(text.split(/\s+/)).toHaveLength(256);
    expect(message).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_tokens' }, completed_at: null });
    expect(message?.incomplete_at).toEqual(expect.any(Number));
    expect((run.usage as { completion_tokens: number }).completion_tokens).toBe(256);
  });

  it('max_prompt_tokens drops the oldest messages to fit', async () => {
    const assistantId = await weatherAssistant(server, { instructions: null });
    const words = (n: number): string => Array.from({ length: n }, () => 'x').join(' ');
    const threadId = await threadWith(server, words(200), words(200), 'last');
    const { run, text } = await runAndReply(threadId, { assistant_id: assistantId, max_prompt_tokens: 256 });
    expect(run.status).toBe('completed');
    expect(text).toContain('I read 2 messages.');
    expect((run.usage as { prompt_tokens: number }).prompt_tokens).toBeLessThanOrEqual(256);
  });

  it("response_format json_object answers in JSON", async () => {
    const assistantId = await weatherAssistant(server);
    const threadId = await threadWith(server, 'hello');
    const { text } = await runAndReply(threadId, { assistant_id: assistantId, response_format: { type: 'json_object' } });
    expect(JSON.parse(text)).toEqual({
      assistant: 'Weather Bot',
      instructions: 'Answer weather questions.',
      last_user_message: 'hello',
      tool_outputs: [],
      messages_seen: 1,
    });
  });

  it('uses the assistant id when the assistant has no name, and run overrides of model and tools', async () => {
    const assistant = await createAssistant(server, {});
    const threadId = await threadWith(server, 'use get_weather');
    const { run, text } = await runAndReply(threadId, { assistant_id: assistant.id, model: 'gpt-3.5-turbo', tools: [] });
    expect(run).toMatchObject({ status: 'completed', model: 'gpt-3.5-turbo', tools: [] });
    expect(text).toContain(`This is ${String(assistant.id)}.`);
  });
});

describe('createThreadAndRun', () => {
  it('creates the thread with its messages and runs it', async () => {
    const assistantId = await weatherAssistant(server);
    const run = await ok(
      call(server, 'POST', '/threads/runs', {
        assistant_id: assistantId,
        thread: { messages: [{ role: 'user', content: 'hello there' }], metadata: { a: 'b' } },
      }),
    );
    expect(run.status).toBe('queued');
    const thread = await ok(call(server, 'GET', `/threads/${run.thread_id}`));
    expect(thread).toMatchObject({ object: 'thread', metadata: { a: 'b' } });
    const done = await settle(server, run.thread_id as string, run.id as string);
    expect(done.status).toBe('completed');
    const messages = await ok(call(server, 'GET', `/threads/${run.thread_id}/messages?order=asc`));
    expect((messages.data as Array<Record<string, unknown>>).map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('without a thread runs on an empty one', async () => {
    const assistantId = await weatherAssistant(server);
    const run = await ok(call(server, 'POST', '/threads/runs', { assistant_id: assistantId }));
    await settle(server, run.thread_id as string, run.id as string);
    const [reply] = await assistantMessages(run.thread_id as string, run.id as string);
    expect(textOf(reply)).toContain('There is no user message to answer.');
  });

  it('rejects an unknown assistant without creating a thread, and its own run fields', async () => {
    expect(errorOf(await call(server, 'POST', '/threads/runs', { assistant_id: 'asst_missing' }))).toMatchObject({
      status: 404,
      message: "No assistant found with id 'asst_missing'.",
    });
    const assistantId = await weatherAssistant(server);
    expect(errorOf(await call(server, 'POST', '/threads/runs', { assistant_id: assistantId, additional_instructions: 'x' }))).toMatchObject({
      status: 400,
      param: 'additional_instructions',
      code: 'unknown_parameter',
    });
    expect(errorOf(await call(server, 'POST', '/threads/runs', { assistant_id: assistantId, thread: { messages: [{ role: 'user' }] } }))).toMatchObject({
      status: 400,
      param: 'thread.messages[0].content',
    });
  });
});

describe('run lifecycle errors', () => {
  it('refuses a second run and new messages while a run is active', async () => {
    const assistantId = await weatherAssistant(server);
    const threadId = await threadWith(server, 'get_weather please');
    const run = await ok(call(server, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistantId }));
    const second = errorOf(await call(server, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistantId }));
    expect(second).toMatchObject({ status: 400, type: 'invalid_request_error', message: `Thread ${threadId} already has an active run ${run.id}.` });
    const message = errorOf(await call(server, 'POST', `/threads/${threadId}/messages`, { role: 'user', content: 'more' }));
    expect(message).toMatchObject({ status: 400, message: `Can't add messages to ${threadId} while a run ${run.id} is active.` });
    await settle(server, threadId, run.id as string);
    // Still active while it requires action.
    expect((await call(server, 'POST', `/threads/${threadId}/messages`, { role: 'user', content: 'more' })).status).toBe(400);
  });

  it('cancels an active run and refuses to cancel a finished one', async () => {
    const assistantId = await weatherAssistant(server);
    const threadId = await threadWith(server, 'get_weather please');
    const run = await ok(call(server, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistantId }));
    await settle(server, threadId, run.id as string);
    const cancelling = await ok(call(server, 'POST', `/threads/${threadId}/runs/${run.id}/cancel`));
    expect(cancelling.status).toBe('cancelling');
    const cancelled = await settle(server, threadId, run.id as string);
    expect(cancelled).toMatchObject({ status: 'cancelled', required_action: null });
    expect(cancelled.cancelled_at).toEqual(expect.any(Number));
    const steps = await ok(call(server, 'GET', `/threads/${threadId}/runs/${run.id}/steps`));
    expect((steps.data as Array<Record<string, unknown>>)[0]).toMatchObject({ status: 'cancelled', cancelled_at: expect.any(Number) });

    const again = errorOf(await call(server, 'POST', `/threads/${threadId}/runs/${run.id}/cancel`));
    expect(again).toMatchObject({ status: 400, message: "Cannot cancel run with status 'cancelled'." });
    // The thread takes messages and runs again.
    await ok(call(server, 'POST', `/threads/${threadId}/messages`, { role: 'user', content: 'next' }));
  });

  it('cancelling mid-reply leaves the message incomplete (run_cancelled)', async () => {
    const slow = await startTestServer({ runStepMs: 40 });
    try {
      const assistantId = await weatherAssistant(slow);
      const threadId = await threadWith(slow, 'tell me something');
      const run = await ok(call(slow, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistantId }));
      for (;;) {
        const list = await ok(call(slow, 'GET', `/threads/${threadId}/messages?run_id=${run.id}`));
        if ((list.data as unknown[]).length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await ok(call(slow, 'POST', `/threads/${threadId}/runs/${run.id}/cancel`));
      expect((await settle(slow, threadId, run.id as string)).status).toBe('cancelled');
      const list = await ok(call(slow, 'GET', `/threads/${threadId}/messages?run_id=${run.id}`));
      expect((list.data as Array<Record<string, unknown>>)[0]).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'run_cancelled' } });
    } finally {
      await slow.close();
    }
  });

  it('rejects tool outputs to a run that does not require action, and missing or unknown tool_call_ids', async () => {
    const assistantId = await weatherAssistant(server);
    const plain = await threadWith(server, 'hello');
    const done = await ok(call(server, 'POST', `/threads/${plain}/runs`, { assistant_id: assistantId }));
    await settle(server, plain, done.id as string);
    expect(errorOf(await call(server, 'POST', `/threads/${plain}/runs/${done.id}/submit_tool_outputs`, { tool_outputs: [] }))).toMatchObject({
      status: 400,
      message: 'Runs in status "completed" do not accept tool outputs.',
    });

    const threadId = await threadWith(server, 'get_weather please');
    const run = await ok(call(server, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistantId }));
    const waiting = await settle(server, threadId, run.id as string);
    const callId = (waiting.required_action as { submit_tool_outputs: { tool_calls: Array<{ id: string }> } }).submit_tool_outputs.tool_calls[0]?.id;
    const path = `/threads/${threadId}/runs/${run.id}/submit_tool_outputs`;
    expect(errorOf(await call(server, 'POST', path, { tool_outputs: [] }))).toMatchObject({
      status: 400,
      param: 'tool_outputs',
      message: `Expected tool outputs for call_ids ['${callId}'], got []`,
    });
    expect(errorOf(await call(server, 'POST', path, { tool_outputs: [{ tool_call_id: 'call_nope', output: 'x' }] }))).toMatchObject({
      status: 400,
      param: 'tool_outputs[0].tool_call_id',
    });
    expect(errorOf(await call(server, 'POST', path, { tool_outputs: [{ output: 'x' }] }))).toMatchObject({
      status: 400,
      param: 'tool_outputs[0].tool_call_id',
      code: 'missing_required_parameter',
    });
    expect(errorOf(await call(server, 'POST', path, {}))).toMatchObject({ status: 400, param: 'tool_outputs' });
    expect(errorOf(await call(server, 'POST', path, { tool_outputs: [], extra: 1 }))).toMatchObject({ status: 400, param: 'extra' });
    // Nothing changed: the run still waits.
    expect((await ok(call(server, 'GET', `/threads/${threadId}/runs/${run.id}`))).status).toBe('requires_action');
  });

  it('expires a run that waits for tool outputs past expires_at', async () => {
    // The server's clock (Date) stands still until the test moves it past expires_at, so the
    // run cannot expire before it is seen waiting, however slow the machine; timers stay real.
    vi.useFakeTimers({ toFake: ['Date'] });
    const quick = await startTestServer({ runStepMs: 1, runExpiresAfterSeconds: 1 });
    try {
      const assistantId = await weatherAssistant(quick);
      const threadId = await threadWith(quick, 'get_weather now');
      const run = await ok(call(quick, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistantId }));
      expect((await settle(quick, threadId, run.id as string)).status).toBe('requires_action');
      vi.setSystemTime(((run.expires_at as number) + 1) * 1000);
      let expired = await ok(call(quick, 'GET', `/threads/${threadId}/runs/${run.id}`));
      // The engine looks again within a second (real time) of the run waiting.
      while (expired.status === 'requires_action') {
        await new Promise((resolve) => setTimeout(resolve, 20));
        expired = await ok(call(quick, 'GET', `/threads/${threadId}/runs/${run.id}`));
      }
      expect(expired).toMatchObject({ status: 'expired', required_action: null });
      const steps = await ok(call(quick, 'GET', `/threads/${threadId}/runs/${run.id}/steps`));
      expect((steps.data as Array<Record<string, unknown>>)[0]).toMatchObject({ status: 'expired', expired_at: expect.any(Number) });
      expect(errorOf(await call(quick, 'POST', `/threads/${threadId}/runs/${run.id}/submit_tool_outputs`, { tool_outputs: [] }))).toMatchObject({
        status: 400,
        message: 'Runs in status "expired" do not accept tool outputs.',
      });
    } finally {
      await quick.close();
      vi.useRealTimers();
    }
  });
});

describe('run validation', () => {
  let threadId: string;
  let assistantId: string;
  beforeAll(async () => {
    assistantId = await weatherAssistant(server);
    threadId = await threadWith(server, 'hi');
  });

  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['missing assistant_id', {}, 'assistant_id'],
    ['temperature above 2', { temperature: 2.5 }, 'temperature'],
    ['temperature below 0', { temperature: -1 }, 'temperature'],
    ['max_prompt_tokens below 256', { max_prompt_tokens: 255 }, 'max_prompt_tokens'],
    ['max_completion_tokens below 256', { max_completion_tokens: 100 }, 'max_completion_tokens'],
    ['max_completion_tokens not an integer', { max_completion_tokens: 300.5 }, 'max_completion_tokens'],
    ['more than 20 tools', { tools: Array.from({ length: 21 }, () => ({ type: 'retrieval' })) }, 'tools'],
    ['a bad tool', { tools: [{ type: 'browser' }] }, 'tools[0].type'],
    ['truncation type', { truncation_strategy: { type: 'middle' } }, 'truncation_strategy.type'],
    ['last_messages without a count', { truncation_strategy: { type: 'last_messages' } }, 'truncation_strategy.last_messages'],
    ['last_messages zero', { truncation_strategy: { type: 'last_messages', last_messages: 0 } }, 'truncation_strategy.last_messages'],
    ['tool_choice string', { tool_choice: 'required' }, 'tool_choice'],
    ['tool_choice type', { tool_choice: { type: 'web' } }, 'tool_choice.type'],
    ['tool_choice function without name', { tool_choice: { type: 'function', function: {} } }, 'tool_choice.function.name'],
    ['response_format string', { response_format: 'json' }, 'response_format'],
    ['response_format type', { response_format: { type: 'xml' } }, 'response_format.type'],
    ['json_object with a non-function tool', { response_format: { type: 'json_object' }, tools: [{ type: 'retrieval' }] }, 'tools[0].type'],
    ['additional_messages content', { additional_messages: [{ role: 'user', content: '' }] }, 'additional_messages[0].content'],
    ['additional_messages role', { additional_messages: [{ role: 'system', content: 'x' }] }, 'additional_messages[0].role'],
    ['metadata too many keys', { metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }, 'metadata'],
    ['metadata value too long', { metadata: { k: 'v'.repeat(513) } }, 'metadata.k'],
    ['unknown field', { assistant: 'x' }, 'assistant'],
    ['stream not a boolean', { stream: 'yes' }, 'stream'],
  ];
  it.each(cases)('rejects %s with a 400 naming the field', async (_name, fields, param) => {
    const body = 'assistant_id' in fields || _name === 'missing assistant_id' ? fields : { assistant_id: assistantId, ...fields };
    const error = errorOf(await call(server, 'POST', `/threads/${threadId}/runs`, body));
    expect(error).toMatchObject({ status: 400, type: 'invalid_request_error', param });
  });

  it('404s an unknown assistant, thread, run and step', async () => {
    expect(errorOf(await call(server, 'POST', `/threads/${threadId}/runs`, { assistant_id: 'asst_nope' }))).toMatchObject({
      status: 404,
      message: "No assistant found with id 'asst_nope'.",
    });
    expect(errorOf(await call(server, 'POST', '/threads/thread_nope/runs', { assistant_id: assistantId }))).toMatchObject({
      status: 404,
      message: "No thread found with id 'thread_nope'.",
    });
    expect(errorOf(await call(server, 'GET', `/threads/${threadId}/runs/run_nope`))).toMatchObject({
      status: 404,
      message: "No run found with id 'run_nope'.",
    });
    expect(errorOf(await call(server, 'POST', `/threads/${threadId}/runs/run_nope/cancel`)).status).toBe(404);
    expect(errorOf(await call(server, 'GET', `/threads/${threadId}/runs/run_nope/steps`)).status).toBe(404);
    const run = await ok(call(server, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistantId }));
    await settle(server, threadId, run.id as string);
    expect(errorOf(await call(server, 'GET', `/threads/${threadId}/runs/${run.id}/steps/step_nope`)).status).toBe(404);
    const otherThread = await threadWith(server, 'x');
    expect(errorOf(await call(server, 'GET', `/threads/${otherThread}/runs/${run.id}`)).status).toBe(404);
  });

  it('lists runs newest first with pagination, and modifies a run', async () => {
    const thread = await threadWith(server, 'a');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await ok(call(server, 'POST', `/threads/${thread}/runs`, { assistant_id: assistantId }));
      await settle(server, thread, run.id as string);
      ids.push(run.id as string);
    }
    const page = await ok(call(server, 'GET', `/threads/${thread}/runs?limit=2`));
    expect((page.data as Array<{ id: string }>).map((r) => r.id)).toEqual([ids[2], ids[1]]);
    expect(page).toMatchObject({ object: 'list', first_id: ids[2], last_id: ids[1], has_more: true });
    const next = await ok(call(server, 'GET', `/threads/${thread}/runs?limit=2&after=${ids[1]}`));
    expect((next.data as Array<{ id: string }>).map((r) => r.id)).toEqual([ids[0]]);
    const modified = await ok(call(server, 'POST', `/threads/${thread}/runs/${ids[0]}`, { metadata: { tag: 'x' } }));
    expect(modified).toMatchObject({ id: ids[0], metadata: { tag: 'x' }, status: 'completed' });
    expect(errorOf(await call(server, 'POST', `/threads/${thread}/runs/${ids[0]}`, { status: 'failed' }))).toMatchObject({ param: 'status' });
  });
});

describe('persistence', () => {
  it('a run interrupted by a restart carries on from where it stopped', async () => {
    const { dir, cleanup } = await makeTempDir('threads-restart-');
    const dataFile = join(dir, 'data.jsonl');
    try {
      const first = await startTestServer({ dataFile, runStepMs: 200 });
      const assistantId = await weatherAssistant(first);
      const threadId = await threadWith(first, 'hello after restart');
      const run = await ok(call(first, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistantId }));
      await first.close();

      const second = await startTestServer({ dataFile, runStepMs: 5 });
      try {
        const done = await settle(second, threadId, run.id as string);
        expect(done.status).toBe('completed');
        const list = await ok(call(second, 'GET', `/threads/${threadId}/messages?run_id=${run.id}`));
        expect(textOf((list.data as Array<Record<string, unknown>>)[0])).toContain('hello after restart');
      } finally {
        await second.close();
      }
    } finally {
      await cleanup();
    }
  });
});
