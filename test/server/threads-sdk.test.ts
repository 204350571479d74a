import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { CITY_WEATHER_TOOL as weatherTool } from './threads-support.js';

let server: TestServer;
let openai: OpenAI;
beforeAll(async () => {
  server = await startTestServer({ runStepMs: 2 });
  openai = new OpenAI({ baseURL: server.url, apiKey: server.apiKey, maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});

async function waitWhileBusy(threadId: string, runId: string): Promise<OpenAI.Beta.Threads.Run> {
  for (;;) {
    const run = await openai.beta.threads.runs.retrieve(threadId, runId);
    if (run.status !== 'queued' && run.status !== 'in_progress') return run;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the official openai@4.36.0 SDK', () => {
  it('runs the whole conversation by polling', async () => {
    const assistant = await openai.beta.assistants.create({ model: 'gpt-4-turbo', name: 'SDK Bot', tools: [weatherTool] });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'Use get_weather for Oslo.' }] });
    const run = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    expect(run.status).toBe('queued');

    const waiting = await waitWhileBusy(thread.id, run.id);
    expect(waiting.status).toBe('requires_action');
    const toolCall = waiting.required_action?.submit_tool_outputs.tool_calls[0];
    expect(toolCall?.function).toEqual({ name: 'get_weather', arguments: '{"city":""}' });

    await openai.beta.threads.runs.submitToolOutputs(thread.id, run.id, {
      tool_outputs: [{ tool_call_id: toolCall?.id ?? '', output: 'cold, -3' }],
    });
    const done = await waitWhileBusy(thread.id, run.id);
    expect(done.status).toBe('completed');

    const messages = await openai.beta.threads.messages.list(thread.id);
    const [reply] = messages.data;
    expect(reply?.role).toBe('assistant');
    const content = reply?.content[0];
    expect(content?.type === 'text' ? content.text.value : '').toContain('get_weather returned: cold, -3');

    // Auto-pagination follows `after` until an empty page.
    const all: string[] = [];
    for await (const message of openai.beta.threads.messages.list(thread.id, { limit: 1 })) all.push(message.id);
    expect(all).toHaveLength(2);

    const steps = await openai.beta.threads.runs.steps.list(thread.id, run.id);
    expect(steps.data.map((step) => step.type).sort()).toEqual(['message_creation', 'tool_calls']);
    const step = await openai.beta.threads.runs.steps.retrieve(thread.id, run.id, steps.data[0]?.id ?? '');
    expect(step.id).toBe(steps.data[0]?.id);
  });

  it('streams the conversation with runs.stream and submitToolOutputsStream', async () => {
    const assistant = await openai.beta.assistants.create({ model: 'gpt-4-turbo', name: 'Stream Bot', tools: [weatherTool] });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'call get_weather' }] });

    const events: string[] = [];
    const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    stream.on('event', (event) => events.push(event.event));
    const waiting = await stream.finalRun();
    expect(waiting.status).toBe('requires_action');
    expect(events[0]).toBe('thread.run.created');
    expect(events.at(-1)).toBe('thread.run.requires_action');

    const toolCall = waiting.required_action?.submit_tool_outputs.tool_calls[0];
    let text = '';
    const second = openai.beta.threads.runs.submitToolOutputsStream(thread.id, waiting.id, {
      tool_outputs: [{ tool_call_id: toolCall?.id ?? '', output: 'sunny' }],
    });
    second.on('textDelta', (delta) => {
      text += delta.value ?? '';
    });
    const finalMessages = await second.finalMessages();
    const done = await second.finalRun();
    expect(done.status).toBe('completed');
    expect(text).toContain('get_weather returned: sunny');
    const final = finalMessages[0]?.content[0];
    expect(final?.type === 'text' ? final.text.value : '').toBe(text);

    const legacy = openai.beta.threads.runs.createAndStream(thread.id, { assistant_id: assistant.id, tool_choice: 'none' });
    expect((await legacy.finalRun()).status).toBe('completed');
  });

  it('creates a thread and run in one call, and maps errors to the SDK classes', async () => {
    const assistant = await openai.beta.assistants.create({ model: 'gpt-4-turbo', instructions: 'Be kind.' });
    const run = await openai.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: 'hi' }] } });
    const done = await waitWhileBusy(run.thread_id, run.id);
    expect(done.status).toBe('completed');

    await expect(openai.beta.threads.retrieve('thread_nope')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(openai.beta.threads.runs.cancel(run.thread_id, run.id)).rejects.toMatchObject({
      status: 400,
      message: "400 Cannot cancel run with status 'completed'.",
    });
    await expect(
      openai.beta.threads.runs.create(run.thread_id, { assistant_id: assistant.id, temperature: 3 }),
    ).rejects.toMatchObject({ status: 400, param: 'temperature' });
    const updated = await openai.beta.threads.runs.update(run.thread_id, run.id, { metadata: { via: 'sdk' } });
    expect(updated.metadata).toEqual({ via: 'sdk' });
    expect((await openai.beta.threads.del(run.thread_id)).deleted).toBe(true);
  });
});
