/**
 * A Chat Completions server for the model tests, standing in for OpenAI, Ollama or vLLM:
 * every request it receives is checked against `CreateChatCompletionRequest` of the
 * reference spec (a request that fails is answered 400 and kept in `invalid`), and it
 * answers the replies it was given, in order, each checked against the spec's response
 * schemas before it is sent:
 *
 *   const upstream = await startFakeUpstream();
 *   upstream.script({ toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }] }, { text: 'Sunny.' });
 *   // ... startServer({ model: { type: 'chat', upstreamUrl: upstream.url } })
 *   upstream.requests[0].body.messages;   // what the server sent
 *
 * A reply is text or tool calls, streamed in small pieces (or whole, `stream: false`), an
 * error status with the API's error body, or a fault: no answer at all (`hang`), a body
 * that is not what the API sends (`raw`), a stream cut off after some pieces (`cutAfter`)
 * or that goes silent after them (`stallAfter`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chatValidatorFor } from './openapi-schemas.js';

export type ScriptedReply =
  | { text: string; stream?: boolean; finishReason?: 'stop' | 'length' | 'content_filter'; usage?: Usage; cutAfter?: number; stallAfter?: number }
  | { toolCalls: Array<{ name: string; arguments: string }>; text?: string; stream?: boolean; usage?: Usage; cutAfter?: number; stallAfter?: number }
  | { status: number; message: string; code?: string }
  | { hang: true }
  | { raw: string; contentType: string };

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

export interface ReceivedRequest {
  headers: IncomingMessage['headers'];
  body: {
    model: string;
    messages: Array<{ role: string; content: string | null; tool_calls?: unknown[]; tool_call_id?: string }>;
    stream?: boolean;
    stream_options?: { include_usage?: boolean };
    [key: string]: unknown;
  };
}

export interface FakeUpstream {
  /** The base URL, as `--upstream-url` takes it: `http://127.0.0.1:PORT/v1`. */
  url: string;
  requests: ReceivedRequest[];
  /** Requests that did not validate as CreateChatCompletionRequest, with ajv's errors. */
  invalid: string[];
  /** Requests whose connection closed before the answer was over (a cancelled run). */
  aborted: number;
  script(...replies: ScriptedReply[]): void;
  /** Replies not used yet. */
  pending(): number;
  close(): Promise<void>;
}

const CREATED = 1_713_300_000;

function check(schema: string, value: unknown): void {
  const validate = chatValidatorFor(schema);
  if (!validate(value)) throw new Error(`fake upstream: its own ${schema} is invalid: ${JSON.stringify(validate.errors)}`);
}

function chunk(delta: Record<string, unknown>, finishReason: string | null = null): Record<string, unknown> {
  const value = {
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: CREATED,
    model: 'fake-model',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
  check('CreateChatCompletionStreamResponse', value);
  return value;
}

/** Text in pieces of a few characters, as a model streams tokens. */
function pieces(text: string): string[] {
  return text.match(/[\s\S]{1,7}/g) ?? [];
}

function streamEvents(reply: Extract<ScriptedReply, { text: string } | { toolCalls: unknown }>, includeUsage: boolean): Array<Record<string, unknown>> {
  const events = [chunk({ role: 'assistant', content: '' })];
  for (const piece of pieces(reply.text ?? '')) events.push(chunk({ content: piece }));
  if ('toolCalls' in reply) {
    reply.toolCalls.forEach((call, index) => {
      events.push(chunk({ tool_calls: [{ index, id: `call_up${index}`, type: 'function', function: { name: call.name, arguments: '' } }] }));
      for (const piece of pieces(call.arguments)) events.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    });
  }
  const finish = 'toolCalls' in reply ? 'tool_calls' : (reply.finishReason ?? 'stop');
  events.push(chunk({}, finish));
  if (includeUsage) events.push({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: CREATED, model: 'fake-model', choices: [], usage: usageOf(reply) });
  return events;
}

function usageOf(reply: { usage?: Usage }): Usage & { total_tokens: number } {
  const usage = reply.usage ?? { prompt_tokens: 11, completion_tokens: 7 };
  return { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };
}

function wholeCompletion(reply: Extract<ScriptedReply, { text: string } | { toolCalls: unknown }>): Record<string, unknown> {
  const toolCalls =
    'toolCalls' in reply
      ? reply.toolCalls.map((call, index) => ({ id: `call_up${index}`, type: 'function', function: { name: call.name, arguments: call.arguments } }))
      : undefined;
  const value = {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: CREATED,
    model: 'fake-model',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: reply.text ?? null, ...(toolCalls ? { tool_calls: toolCalls } : {}) },
        logprobs: null,
        finish_reason: toolCalls ? 'tool_calls' : 'stop',
      },
    ],
    usage: usageOf(reply),
  };
  check('CreateChatCompletionResponse', value);
  return value;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const queue: ScriptedReply[] = [];
  const requests: ReceivedRequest[] = [];
  const invalid: string[] = [];
  const open = new Set<ServerResponse>();
  let aborted = 0;

  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no ${req.method} ${req.url}`, type: 'invalid_request_error', param: null, code: null } }));
      return;
    }
    const body = JSON.parse(await readBody(req)) as ReceivedRequest['body'];
    requests.push({ headers: req.headers, body });
    const validate = chatValidatorFor('CreateChatCompletionRequest');
    if (!validate(body)) {
      invalid.push(JSON.stringify(validate.errors));
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'invalid request', type: 'invalid_request_error', param: null, code: null } }));
      return;
    }
    const reply = queue.shift() ?? { status: 500, message: 'the test scripted no reply for this request' };
    if ('hang' in reply) return;
    if ('raw' in reply) {
      res.writeHead(200, { 'content-type': reply.contentType }).end(reply.raw);
      return;
    }
    if ('status' in reply) {
      const error = { error: { message: reply.message, type: reply.status === 429 ? 'requests' : 'server_error', param: null, code: reply.code ?? null } };
      check('ErrorResponse', error);
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(error));
      return;
    }
    if (reply.stream === false) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(wholeCompletion(reply)));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const events = streamEvents(reply, body.stream_options?.include_usage === true);
    const count = reply.cutAfter ?? reply.stallAfter ?? events.length;
    for (const event of events.slice(0, count)) {
      if (res.destroyed) return;
      res.write(`data: ${JSON.stringify(event)}\n\n`);
      // A tick between pieces, as a model's tokens arrive one by one.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    if (reply.cutAfter !== undefined) {
      res.destroy();
      return;
    }
    if (reply.stallAfter !== undefined) return;
    res.end('data: [DONE]\n\n');
  };

  const server = createServer((req, res) => {
    open.add(res);
    res.on('close', () => {
      open.delete(res);
      if (!res.writableFinished) aborted++;
    });
    answer(req, res).catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    invalid,
    get aborted() {
      return aborted;
    },
    script: (...replies) => queue.push(...replies),
    pending: () => queue.length,
    close: async () => {
      for (const res of open) res.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
