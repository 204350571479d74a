/**
 * The official v1-era SDK (openai@4.36.0), unchanged, through a whole session: files,
 * assistants, paging, threads, runs, tools and streaming. One scenario, run against one
 * embedded server (sdk.test.ts) and against three PostgreSQL replicas with every request
 * sent to a random one of them (replicas-sdk.test.ts).
 */
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest';
import { CITY_WEATHER_TOOL as weatherTool } from './threads-support.js';

export interface SdkTarget {
  /** Where the SDK sends its requests (`http://HOST:PORT/v1`): a server, or a load balancer before several. */
  url: string;
  apiKey: string;
  close(): Promise<void>;
}

export function sdkScenario(name: string, start: () => Promise<SdkTarget>): void {
  describe(`the official openai@4.36.0 SDK against ${name}`, () => {
    let target: SdkTarget;
    let server: { url: string; apiKey: string };
    let openai: OpenAI;
    beforeAll(async () => {
      target = await start();
      server = target;
      openai = new OpenAI({ apiKey: server.apiKey, baseURL: server.url, maxRetries: 0 });
    });
    afterAll(async () => {
      await target.close();
    });

    async function waitWhileBusy(threadId: string, runId: string): Promise<OpenAI.Beta.Threads.Run> {
      for (;;) {
        const run = await openai.beta.threads.runs.retrieve(threadId, runId);
        if (run.status !== 'queued' && run.status !== 'in_progress') return run;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }

    test('assistants: create, list every page, retrieve, update, delete', async () => {
      const created: string[] = [];
      for (let i = 0; i < 45; i++) {
        const assistant = await openai.beta.assistants.create({
          model: 'gpt-4-turbo',
          name: `sdk-${i}`,
          instructions: 'Be helpful.',
          tools: [{ type: 'code_interpreter' }, { type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
          metadata: { i: String(i) },
        });
        expect(assistant.object).toBe('assistant');
        created.push(assistant.id);
      }
      const seen: string[] = [];
      for await (const assistant of openai.beta.assistants.list({ limit: 10, order: 'asc' })) seen.push(assistant.id);
      expect(seen).toEqual(created);

      const first = created[0] as string;
      const got = await openai.beta.assistants.retrieve(first);
      expect(got).toMatchObject({ id: first, name: 'sdk-0', file_ids: [], metadata: { i: '0' } });

      const updated = await openai.beta.assistants.update(first, { name: 'renamed', metadata: { i: 'x' } });
      expect(updated).toMatchObject({ id: first, name: 'renamed', instructions: 'Be helpful.', metadata: { i: 'x' } });

      const deleted = await openai.beta.assistants.del(first);
      expect(deleted).toEqual({ id: first, object: 'assistant.deleted', deleted: true });
      await expect(openai.beta.assistants.retrieve(first)).rejects.toMatchObject({
        status: 404,
        message: `404 No assistant found with id '${first}'.`,
        type: 'invalid_request_error',
      });
    });

    test('files and assistant files', async () => {
      const file = await openai.files.create({ file: await toFile(Buffer.from('hello from the sdk'), 'a.txt'), purpose: 'assistants' });
      expect(file).toMatchObject({ object: 'file', filename: 'a.txt', bytes: 18, purpose: 'assistants' });
      expect(await (await openai.files.content(file.id)).text()).toBe('hello from the sdk');
      expect((await openai.files.retrieve(file.id)).id).toBe(file.id);

      const assistant = await openai.beta.assistants.create({ model: 'gpt-4-turbo', tools: [{ type: 'retrieval' }] });
      const attached = await openai.beta.assistants.files.create(assistant.id, { file_id: file.id });
      expect(attached).toMatchObject({ id: file.id, object: 'assistant.file', assistant_id: assistant.id });

      const listed: string[] = [];
      for await (const f of openai.beta.assistants.files.list(assistant.id)) listed.push(f.id);
      expect(listed).toEqual([file.id]);
      expect((await openai.beta.assistants.retrieve(assistant.id)).file_ids).toEqual([file.id]);

      expect(await openai.beta.assistants.files.retrieve(assistant.id, file.id)).toEqual(attached);
      expect(await openai.beta.assistants.files.del(assistant.id, file.id)).toEqual({
        id: file.id,
        object: 'assistant.file.deleted',
        deleted: true,
      });
      const files: string[] = [];
      for await (const f of openai.files.list({ purpose: 'assistants' })) files.push(f.id);
      expect(files).toContain(file.id);
      expect(await openai.files.del(file.id)).toEqual({ id: file.id, object: 'file', deleted: true });
    });

    test('SDK errors carry the server error fields', async () => {
      await expect(openai.beta.assistants.create({ model: 'gpt-4', name: 'x'.repeat(257) })).rejects.toMatchObject({
        status: 400,
        param: 'name',
        code: 'string_above_max_length',
      });
      const wrongKey = new OpenAI({ apiKey: '', baseURL: server.url, maxRetries: 0, defaultHeaders: { authorization: 'Bearer ' } });
      await expect(wrongKey.beta.assistants.list()).rejects.toMatchObject({ status: 401 });
    });

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
}
