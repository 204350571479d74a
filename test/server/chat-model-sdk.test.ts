/**
 * `serve --model chat`: the official openai@4.36.0 SDK, unchanged, holds a conversation
 * whose function call the (fake) upstream model decides, submits the output and streams
 * the final answer. Every request the upstream gets validates as CreateChatCompletionRequest
 * (fake-chat-upstream.ts), and every answer of the local server still validates against
 * the v1 spec (spec-fetch.ts).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { CITY_WEATHER_TOOL as weatherTool } from './threads-support.js';
import { startFakeUpstream, type FakeUpstream } from './fake-chat-upstream.js';
import { specCheckingFetch } from './spec-fetch.js';

const UPSTREAM_KEY = 'sk-upstream-0123456789abcdef';

let upstream: FakeUpstream;
let server: TestServer;
const logged: string[] = [];
beforeAll(async () => {
  upstream = await startFakeUpstream();
  server = await startTestServer({
    runStepMs: 2,
    log: (line) => logged.push(line),
    model: { type: 'chat', upstreamUrl: upstream.url, apiKey: UPSTREAM_KEY, modelMap: { 'gpt-4-turbo': 'llama3.1:8b' } },
  });
});
afterAll(async () => {
  await server.close();
  await upstream.close();
});

test('a conversation: the model calls a function, gets its output, and streams the answer', async () => {
  const spec = specCheckingFetch();
  const openai = new OpenAI({ baseURL: server.url, apiKey: server.apiKey, maxRetries: 0, fetch: spec.fetch as never });
  const answer = 'It is 21 degrees and sunny in Paris: a light jacket will do.';
  upstream.script(
    { toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }], usage: { prompt_tokens: 120, completion_tokens: 18 } },
    { text: answer, usage: { prompt_tokens: 160, completion_tokens: 15 } },
  );

  const assistant = await openai.beta.assistants.create({
    model: 'gpt-4-turbo',
    name: 'Travel helper',
    instructions: 'You help travellers pack.',
    tools: [weatherTool],
  });
  // Nothing in the message names the function: the model decides to call it.
  const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'What should I wear in Paris today?' }] });

  const argumentPieces: string[] = [];
  const first = openai.beta.threads.runs.stream(thread.id, {
    assistant_id: assistant.id,
    additional_instructions: 'Answer in one sentence.',
    temperature: 0.2,
  });
  first.on('toolCallDelta', (delta) => {
    if (delta.type === 'function' && delta.function?.arguments) argumentPieces.push(delta.function.arguments);
  });
  const waiting = await first.finalRun();
  expect(waiting.status).toBe('requires_action');
  const [call] = waiting.required_action?.submit_tool_outputs.tool_calls ?? [];
  expect(call?.function).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });
  // The arguments streamed in the pieces the model sent them in.
  expect(argumentPieces.length).toBeGreaterThan(1);
  expect(argumentPieces.join('')).toBe('{"city":"Paris"}');

  let streamed = '';
  const second = openai.beta.threads.runs.submitToolOutputsStream(thread.id, waiting.id, {
    tool_outputs: [{ tool_call_id: call?.id ?? '', output: '{"celsius": 21, "sky": "sunny"}' }],
  });
  const deltas: number[] = [];
  second.on('textDelta', (delta) => {
    streamed += delta.value ?? '';
    deltas.push(streamed.length);
  });
  const done = await second.finalRun();
  expect(done.status).toBe('completed');
  expect(streamed).toBe(answer);
  expect(deltas.length).toBeGreaterThan(3);
  // Usage is the upstream's, summed over the run's two turns.
  expect(done.usage).toEqual({ prompt_tokens: 280, completion_tokens: 33, total_tokens: 313 });

  const [reply] = (await openai.beta.threads.messages.list(thread.id)).data;
  expect(reply?.content[0]).toEqual({ type: 'text', text: { value: answer, annotations: [] } });
  const steps = await openai.beta.threads.runs.steps.list(thread.id, waiting.id, { order: 'asc' });
  expect(steps.data.map((step) => [step.type, step.status, step.usage?.total_tokens])).toEqual([
    ['tool_calls', 'completed', 138],
    ['message_creation', 'completed', 175],
  ]);

  // What the upstream was sent: the mapped model, the instructions as the system message,
  // the thread, the function tool, the run's temperature, then the call and its output.
  expect(upstream.invalid).toEqual([]);
  const [turn1, turn2] = upstream.requests;
  expect(turn1?.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
  expect(turn1?.body).toMatchObject({
    model: 'llama3.1:8b',
    messages: [
      { role: 'system', content: 'You help travellers pack. Answer in one sentence.' },
      { role: 'user', content: 'What should I wear in Paris today?' },
    ],
    tools: [weatherTool],
    temperature: 0.2,
    stream: true,
  });
  expect(turn1?.body.tool_choice).toBeUndefined();
  expect(turn2?.body.messages.slice(2)).toEqual([
    { role: 'assistant', content: null, tool_calls: [{ id: call?.id, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
    { role: 'tool', tool_call_id: call?.id, content: '{"celsius": 21, "sky": "sunny"}' },
  ]);

  expect(await spec.settled()).toEqual([]);
  expect(spec.checked()).toBeGreaterThan(30);
  // The key went to the upstream only: never into a log line.
  expect(logged.join('\n')).not.toContain(UPSTREAM_KEY);
});

test('an upstream that answers whole JSON; the run limits, JSON mode and a forced function reach it', async () => {
  const spec = specCheckingFetch();
  const openai = new OpenAI({ baseURL: server.url, apiKey: server.apiKey, maxRetries: 0, fetch: spec.fetch as never });
  upstream.script(
    { toolCalls: [{ name: 'get_weather', arguments: '{"city":"Oslo"}' }], stream: false },
    { text: '{"wear": "a warm coat"}', stream: false },
  );
  const assistant = await openai.beta.assistants.create({ model: 'gpt-4', tools: [weatherTool] });
  const run = await openai.beta.threads.createAndRun({
    assistant_id: assistant.id,
    thread: { messages: [{ role: 'user', content: 'Oslo in JSON, please.' }] },
    tool_choice: { type: 'function', function: { name: 'get_weather' } },
    response_format: { type: 'json_object' },
    max_completion_tokens: 300,
    max_prompt_tokens: 2000,
  });
  let current = run;
  while (current.status === 'queued' || current.status === 'in_progress') {
    await new Promise((resolve) => setTimeout(resolve, 5));
    current = await openai.beta.threads.runs.retrieve(run.thread_id, run.id);
  }
  expect(current.status).toBe('requires_action');
  const call = current.required_action?.submit_tool_outputs.tool_calls[0];
  const final = await openai.beta.threads.runs.submitToolOutputsAndPoll(run.thread_id, run.id, {
    tool_outputs: [{ tool_call_id: call?.id ?? '', output: '-3 and snow' }],
  }, { pollIntervalMs: 10 });
  expect(final.status).toBe('completed');
  const [message] = (await openai.beta.threads.messages.list(run.thread_id)).data;
  expect(message?.content[0]).toMatchObject({ text: { value: '{"wear": "a warm coat"}' } });

  const [turn1, turn2] = upstream.requests.slice(-2);
  // Unmapped names pass through; the completion budget left is max_tokens.
  expect(turn1?.body).toMatchObject({
    model: 'gpt-4',
    tool_choice: { type: 'function', function: { name: 'get_weather' } },
    response_format: { type: 'json_object' },
    max_tokens: 300,
  });
  // Forced once: the answer after the output is the model's choice.
  expect(turn2?.body.tool_choice).toBeUndefined();
  expect(turn2?.body.max_tokens).toBe(300 - 7);
  expect(upstream.invalid).toEqual([]);
  expect(await spec.settled()).toEqual([]);
});
