/**
 * Reads a Chat Completions answer as it arrives: a stream of `chat.completion.chunk`
 * events (`data: {...}` lines, ended by `data: [DONE]`), or a whole `chat.completion`
 * JSON body from a server that does not stream. Each piece of text and of a tool call is
 * handed on at once. Bounded: at most `MAX_RESPONSE_BYTES` in all and `MAX_EVENT_BYTES`
 * per event, at most `MAX_TOOL_CALLS` tool calls. Anything else than the documented
 * shapes, an error inside the stream, or a stream that stops before it says it is done is
 * an UpstreamReplyError.
 */
import { isJsonRecord } from '../../json.js';

export interface ToolCallChunk {
  index: number;
  id?: string;
  name?: string;
  arguments?: string;
}

export interface ChatHandlers {
  content(text: string): void;
  toolCall(chunk: ToolCallChunk): void;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

export interface UpstreamUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

export interface ChatOutcome {
  finishReason: FinishReason;
  /** As the upstream reported it; null when it did not. */
  usage: UpstreamUsage | null;
}

/** The upstream's answer is not one the server can use; the message says how. */
export class UpstreamReplyError extends Error {
  override readonly name = 'UpstreamReplyError';
}

export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
const MAX_EVENT_BYTES = 1024 * 1024;
export const MAX_TOOL_CALLS = 128;
const FINISH_REASONS: ReadonlySet<string> = new Set(['stop', 'length', 'tool_calls', 'content_filter', 'function_call']);

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new UpstreamReplyError(`its ${what} is not a string`);
  return value;
}

/** Reads the whole body (bounded) and hands on what it holds. */
export async function readChatResponse(body: AsyncIterable<Buffer>, contentType: string, handlers: ChatHandlers): Promise<ChatOutcome> {
  return /^\s*text\/event-stream/i.test(contentType) ? readEventStream(body, handlers) : readJson(body, handlers);
}

async function* bounded(body: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > MAX_RESPONSE_BYTES) throw new UpstreamReplyError(`its answer is longer than ${MAX_RESPONSE_BYTES} bytes`);
    yield chunk;
  }
}

async function readJson(body: AsyncIterable<Buffer>, handlers: ChatHandlers): Promise<ChatOutcome> {
  const parts: Buffer[] = [];
  for await (const chunk of bounded(body)) parts.push(chunk);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    throw new UpstreamReplyError('its answer is not JSON');
  }
  if (isJsonRecord(json) && json.error !== undefined) throw new UpstreamReplyError(`it answered with an error: ${errorText(json.error)}`);
  const choice = isJsonRecord(json) && Array.isArray(json.choices) ? json.choices[0] : undefined;
  if (!isJsonRecord(choice) || !isJsonRecord(choice.message)) throw new UpstreamReplyError('its answer has no choices[0].message');
  const content = optionalString(choice.message.content, 'message content');
  if (content !== undefined && content !== '') handlers.content(content);
  const calls = choice.message.tool_calls ?? [];
  if (!Array.isArray(calls)) throw new UpstreamReplyError('its tool_calls is not a list');
  calls.forEach((call: unknown, index) => handlers.toolCall(toolCallChunk(call, index)));
  return { finishReason: finishReason(choice.finish_reason) ?? (calls.length > 0 ? 'tool_calls' : 'stop'), usage: usageOf(json) };
}

async function readEventStream(body: AsyncIterable<Buffer>, handlers: ChatHandlers): Promise<ChatOutcome> {
  const decoder = new TextDecoder();
  let line = '';
  let data: string[] = [];
  let dataBytes = 0;
  let finish: FinishReason | undefined;
  let usage: UpstreamUsage | null = null;
  let done = false;

  const dispatch = (): void => {
    if (data.length === 0) return;
    const payload = data.join('\n');
    data = [];
    dataBytes = 0;
    if (payload.trim() === '[DONE]') {
      done = true;
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(payload);
    } catch {
      throw new UpstreamReplyError(`it sent a stream event that is not JSON: ${payload.slice(0, 80)}`);
    }
    if (!isJsonRecord(json)) throw new UpstreamReplyError('it sent a stream event that is not an object');
    if (json.error !== undefined) throw new UpstreamReplyError(`it sent an error in the stream: ${errorText(json.error)}`);
    usage = usageOf(json) ?? usage;
    if (!Array.isArray(json.choices)) throw new UpstreamReplyError('it sent a stream event without choices');
    const choice: unknown = json.choices[0];
    if (choice === undefined) return; // the usage chunk of stream_options.include_usage
    if (!isJsonRecord(choice)) throw new UpstreamReplyError('it sent a choice that is not an object');
    const delta = choice.delta ?? {};
    if (!isJsonRecord(delta)) throw new UpstreamReplyError('it sent a delta that is not an object');
    const content = optionalString(delta.content, 'delta content');
    if (content !== undefined && content !== '') handlers.content(content);
    if (delta.tool_calls !== undefined && delta.tool_calls !== null) {
      if (!Array.isArray(delta.tool_calls)) throw new UpstreamReplyError('its delta tool_calls is not a list');
      delta.tool_calls.forEach((call: unknown, position) => handlers.toolCall(toolCallChunk(call, position)));
    }
    finish = finishReason(choice.finish_reason) ?? finish;
  };
  const take = (text: string): void => {
    line += text;
    for (let newline = line.indexOf('\n'); newline >= 0 && !done; newline = line.indexOf('\n')) {
      const current = line.slice(0, newline).replace(/\r$/, '');
      line = line.slice(newline + 1);
      if (current === '') dispatch();
      else if (current.startsWith('data:')) {
        const value = current.slice(current[5] === ' ' ? 6 : 5);
        dataBytes += value.length;
        if (dataBytes > MAX_EVENT_BYTES) throw new UpstreamReplyError(`it sent a stream event longer than ${MAX_EVENT_BYTES} bytes`);
        data.push(value);
      }
      // Comments (`: keep-alive`), `event:`, `id:` and `retry:` lines carry nothing for a chat reply.
    }
    if (line.length > MAX_EVENT_BYTES) throw new UpstreamReplyError(`it sent a line longer than ${MAX_EVENT_BYTES} bytes`);
  };

  for await (const chunk of bounded(body)) {
    take(decoder.decode(chunk, { stream: true }));
    if (done) break;
  }
  if (!done) {
    take(`${decoder.decode()}\n\n`);
    dispatch();
  }
  if (!done && finish === undefined) throw new UpstreamReplyError('its stream stopped before the reply was finished');
  return { finishReason: finish ?? 'stop', usage };
}

function toolCallChunk(call: unknown, position: number): ToolCallChunk {
  if (!isJsonRecord(call)) throw new UpstreamReplyError('it sent a tool call that is not an object');
  const index = call.index ?? position;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= MAX_TOOL_CALLS) {
    throw new UpstreamReplyError(`it sent a tool call index that is not an integer from 0 to ${MAX_TOOL_CALLS - 1}`);
  }
  const fn = call.function ?? {};
  if (!isJsonRecord(fn)) throw new UpstreamReplyError('it sent a tool call whose function is not an object');
  const chunk: ToolCallChunk = { index };
  const id = optionalString(call.id, 'tool call id');
  const name = optionalString(fn.name, 'function name');
  const args = optionalString(fn.arguments, 'function arguments');
  if (id !== undefined) chunk.id = id;
  if (name !== undefined) chunk.name = name;
  if (args !== undefined) chunk.arguments = args;
  return chunk;
}

function finishReason(value: unknown): FinishReason | undefined {
  return typeof value === 'string' && FINISH_REASONS.has(value) ? (value as FinishReason) : undefined;
}

function usageOf(json: unknown): UpstreamUsage | null {
  if (!isJsonRecord(json) || !isJsonRecord(json.usage)) return null;
  const { prompt_tokens: prompt, completion_tokens: completion } = json.usage;
  if (typeof prompt !== 'number' || typeof completion !== 'number' || prompt < 0 || completion < 0) return null;
  return { prompt_tokens: Math.round(prompt), completion_tokens: Math.round(completion) };
}

/** An error body's message (`{"error": {"message"}}`, `{"error": "..."}`, `{"message"}`), one line, bounded. */
export function errorText(error: unknown): string {
  const message = isJsonRecord(error) ? (error.message ?? JSON.stringify(error)) : error;
  return oneLine(typeof message === 'string' ? message : JSON.stringify(message));
}

export function oneLine(text: string, max = 300): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
