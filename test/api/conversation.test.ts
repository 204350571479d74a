import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import {
  APIConnectionError,
  APIUserAbortError,
  AssistantStream,
  RunPollTimeoutError,
  pollRun,
  type AssistantObject,
  type AssistantStreamEvent,
  type FunctionTool,
  type ToolCallsStepDetails,
} from '../../src/index.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
let assistant: AssistantObject;

const lookupTool: FunctionTool = {
  type: 'function',
  function: {
    name: 'lookup_order',
    description: 'Find an order',
    parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
  },
};

beforeAll(async () => {
  h = await startHarness();
  assistant = await h.api.createAssistant({
    createAssistantRequest: { model: 'gpt-4-turbo', name: 'Order desk', instructions: 'Help with orders.', tools: [lookupTool] },
  });
});
afterAll(() => h.close());

function textOf(content: unknown[]): string {
  return content.map((part) => (part as { type: string; text?: { value: string } }).text?.value ?? '').join('');
}

describe('a whole conversation', () => {
  test('polled: requires_action, tool outputs, completed run whose reply uses the output, steps listed', async () => {
    const thread = await h.api.createThread({
      createThreadRequest: { messages: [{ role: 'user', content: 'Please call lookup_order for order 42', metadata: { trace_id: 't-1' } }] },
    });
    const run = await h.api.createRun({ threadId: thread.id, createRunRequest: { assistantId: assistant.id } });
    expect(run).toMatchObject({ object: 'thread.run', threadId: thread.id, assistantId: assistant.id });

    const waiting = await pollRun(h.api, { threadId: thread.id, runId: run.id }, { intervalMs: 20, timeoutMs: 10_000 });
    expect(waiting.status).toBe('requires_action');
    const call = waiting.requiredAction?.submitToolOutputs.toolCalls[0];
    expect(call?.function.name).toBe('lookup_order');
    expect(JSON.parse(call?.function.arguments ?? 'null')).toHaveProperty('order_id');

    await h.api.submitToolOutputsToRun({
      threadId: thread.id,
      runId: run.id,
      submitToolOutputsRunRequest: { toolOutputs: [{ toolCallId: call?.id ?? '', output: 'shipped on Monday' }] },
    });
    const done = await pollRun(h.api, { threadId: thread.id, runId: run.id }, { intervalMs: 20, timeoutMs: 10_000 });
    expect(done.status).toBe('completed');
    expect(done.usage?.totalTokens).toBeGreaterThan(0);

    const replies = await h.api.listMessages({ threadId: thread.id, runId: run.id });
    expect(replies.data).toHaveLength(1);
    expect(replies.data[0]?.role).toBe('assistant');
    expect(textOf(replies.data[0]?.content ?? [])).toContain('shipped on Monday');
    const all = await h.api.iterateMessages({ threadId: thread.id, order: 'asc' }).toArray();
    expect(all[0]?.metadata).toEqual({ trace_id: 't-1' });

    const steps = await h.api.iterateRunSteps({ threadId: thread.id, runId: run.id, order: 'asc' }).toArray();
    expect(steps.map((s) => s.type)).toEqual(['tool_calls', 'message_creation']);
    const details = steps[0]?.stepDetails as ToolCallsStepDetails | undefined;
    expect(details?.type).toBe('tool_calls');
    expect(details?.toolCalls[0]).toMatchObject({
      type: 'function',
      function: { name: 'lookup_order', output: 'shipped on Monday' },
    });
  });

  test('streamed: the event sequence of a run and of its tool outputs', async () => {
    const thread = await h.api.createThread({
      createThreadRequest: { messages: [{ role: 'user', content: 'lookup_order 7 please' }] },
    });
    const stream = await h.api.createRun({ threadId: thread.id, createRunRequest: { assistantId: assistant.id, stream: true } });
    expect(stream).toBeInstanceOf(AssistantStream);
    const first: AssistantStreamEvent[] = [];
    for await (const event of stream) first.push(event);
    expect(first.map((e) => e.event)).toEqual([
      'thread.run.created',
      'thread.run.queued',
      'thread.run.in_progress',
      'thread.run.step.created',
      'thread.run.step.in_progress',
      'thread.run.step.delta',
      'thread.run.step.delta',
      'thread.run.requires_action',
      'done',
    ]);
    const delta = first.find((e) => e.event === 'thread.run.step.delta');
    const details = delta?.event === 'thread.run.step.delta' ? delta.data.delta.stepDetails : undefined;
    expect(details?.type).toBe('tool_calls');
    expect(details?.type === 'tool_calls' ? details.toolCalls?.[0] : undefined).toMatchObject({
      index: 0,
      type: 'function',
      function: { name: 'lookup_order' },
    });
    const action = first.find((e) => e.event === 'thread.run.requires_action');
    const run = action?.event === 'thread.run.requires_action' ? action.data : undefined;
    const call = run?.requiredAction?.submitToolOutputs.toolCalls[0];
    expect(call?.function.name).toBe('lookup_order');

    const resumed = await h.api.submitToolOuputsToRun({
      threadId: thread.id,
      runId: run?.id ?? '',
      submitToolOutputsRunRequest: { toolOutputs: [{ toolCallId: call?.id ?? '', output: 'in transit' }], stream: true },
    });
    const second: AssistantStreamEvent[] = [];
    for await (const event of resumed) second.push(event);
    const names = second.map((e) => e.event);
    expect(names[0]).toBe('thread.run.step.completed');
    expect(names).toContain('thread.message.created');
    expect(names).toContain('thread.message.delta');
    expect(names.slice(-3)).toEqual(['thread.run.step.completed', 'thread.run.completed', 'done']);
    const text = second.flatMap((e) =>
      e.event === 'thread.message.delta' ? (e.data.delta.content ?? []).map((c) => ('text' in c && c.text && typeof c.text === 'object' && 'value' in c.text ? String(c.text.value) : '')) : [],
    );
    expect(text.join('')).toContain('in transit');
  });

  test('createThreadAndRun streamed and collected with finalRun()', async () => {
    const stream = await h.api.createThreadAndRun({
      createThreadAndRunRequest: {
        assistantId: assistant.id,
        thread: { messages: [{ role: 'user', content: 'hello there' }] },
        stream: true,
      },
    });
    const run = await stream.finalRun();
    expect(run.status).toBe('completed');
    await expect(stream.finalRun()).rejects.toThrow(/only once/);
    const messages = await h.api.listMessages({ threadId: run.threadId, order: 'asc' });
    expect(textOf(messages.data[1]?.content ?? [])).toContain('hello there');
  });

  test('pollRun gives up with a clear error; cancelRun stops an active run', async () => {
    const slow = await startHarness({ runStepMs: 5_000 });
    onTestFinished(() => slow.close());
    const slowAssistant = await slow.api.createAssistant({ createAssistantRequest: { model: 'gpt-4', name: 'Slow' } });
    const thread = await slow.api.createThread();
    const run = await slow.api.createRun({ threadId: thread.id, createRunRequest: { assistantId: slowAssistant.id } });
    const error = await pollRun(slow.api, { threadId: thread.id, runId: run.id }, { intervalMs: 20, timeoutMs: 100 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RunPollTimeoutError);
    expect((error as RunPollTimeoutError).run.status).toMatch(/queued|in_progress/);
    expect((error as Error).message).toContain(run.id);

    const cancelling = await slow.api.cancelRun({ threadId: thread.id, runId: run.id });
    expect(cancelling.status).toMatch(/cancelling|cancelled/);
  });

  test('a stream cut by the server or by the caller ends in a typed error', async () => {
    const slow = await startHarness({ runStepMs: 2_000 });
    onTestFinished(() => slow.close());
    const slowAssistant = await slow.api.createAssistant({ createAssistantRequest: { model: 'gpt-4', name: 'Slow' } });

    const controller = new AbortController();
    const aborted = await slow.api.createThreadAndRun(
      { createThreadAndRunRequest: { assistantId: slowAssistant.id, thread: { messages: [{ role: 'user', content: 'hi' }] }, stream: true } },
      { signal: controller.signal },
    );
    const seen: string[] = [];
    const error = await (async () => {
      for await (const event of aborted) {
        seen.push(event.event);
        controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(seen[0]).toBe('thread.created');
    expect(error).toBeInstanceOf(APIUserAbortError);

    const cut = await slow.api.createThreadAndRun({
      createThreadAndRunRequest: { assistantId: slowAssistant.id, thread: { messages: [{ role: 'user', content: 'hi' }] }, stream: true },
    });
    const dropped = await (async () => {
      for await (const event of cut) if (event.event === 'thread.run.created') await slow.server.close();
    })().catch((e: unknown) => e);
    expect(dropped).toBeInstanceOf(APIConnectionError);
  });
});
