/** Helpers shared by the thread, run and streaming tests. */
import { call, createAssistant, type Reply } from './http.js';
import type { TestServer } from '../support/server.js';

export const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string' },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
        days: { type: 'integer', minimum: 1 },
        detailed: { type: 'boolean' },
      },
      required: ['city', 'unit', 'days'],
    },
  },
} as const;

/** The same function with only a city, as the SDK tests use it. */
export const CITY_WEATHER_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

export async function ok(reply: Promise<Reply>): Promise<Reply['body']> {
  const result = await reply;
  if (result.status !== 200) throw new Error(`expected 200, got ${result.status} ${JSON.stringify(result.body)}`);
  return result.body;
}

export async function weatherAssistant(server: TestServer, fields: Record<string, unknown> = {}): Promise<string> {
  const assistant = await createAssistant(server, {
    name: 'Weather Bot',
    instructions: 'Answer weather questions.',
    tools: [WEATHER_TOOL],
    ...fields,
  });
  return assistant.id as string;
}

export async function threadWith(server: TestServer, ...texts: string[]): Promise<string> {
  const thread = await ok(call(server, 'POST', '/threads', { messages: texts.map((content) => ({ role: 'user', content })) }));
  return thread.id as string;
}

const TERMINAL = ['requires_action', 'completed', 'failed', 'cancelled', 'expired'];

/** Polls a run until it stops moving (a terminal status or requires_action). */
export async function settle(server: TestServer, threadId: string, runId: string, timeoutMs = 5000): Promise<Reply['body']> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await ok(call(server, 'GET', `/threads/${threadId}/runs/${runId}`));
    if (TERMINAL.includes(run.status as string)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${String(run.status)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface SseEvent {
  event: string;
  data: string;
}

/** Parses a complete `text/event-stream` body. */
export function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((line) => line.startsWith('event: '))?.slice(7) ?? '';
      const data = lines
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('\n');
      return { event, data };
    });
}

/** POSTs with `stream: true` and returns the response and its parsed events. */
export async function postStream(
  server: TestServer,
  path: string,
  body: Record<string, unknown>,
): Promise<{ status: number; contentType: string | null; events: SseEvent[] }> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: server.headers,
    body: JSON.stringify({ ...body, stream: true }),
  });
  return { status: response.status, contentType: response.headers.get('content-type'), events: parseSse(await response.text()) };
}

/** Event names, with each run of consecutive delta events collapsed into one `<name>*`. */
export function eventNames(events: readonly SseEvent[]): string[] {
  const names: string[] = [];
  for (const { event } of events) {
    const name = event.endsWith('.delta') ? `${event}*` : event;
    if (!(name.endsWith('*') && names[names.length - 1] === name)) names.push(name);
  }
  return names;
}
