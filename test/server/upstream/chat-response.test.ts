/**
 * Reading a Chat Completions answer, bounded: pieces handed on as they arrive, a stream
 * without [DONE] accepted once it has said it is finished, and every bound (an event, the
 * whole answer) an error rather than memory.
 */
import { expect, test } from 'vitest';
import { MAX_RESPONSE_BYTES, readChatResponse, type ToolCallChunk } from '../../../src/server/upstream/chat-response.js';

async function* chunks(...parts: Array<string | Buffer>): AsyncGenerator<Buffer> {
  for (const part of parts) yield typeof part === 'string' ? Buffer.from(part) : part;
}

function collector(): { text: string[]; calls: ToolCallChunk[]; handlers: Parameters<typeof readChatResponse>[2] } {
  const text: string[] = [];
  const calls: ToolCallChunk[] = [];
  return { text, calls, handlers: { content: (piece) => text.push(piece), toolCall: (call) => calls.push(call) } };
}

const event = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;
const delta = (d: unknown, finish: string | null = null): string => event({ choices: [{ index: 0, delta: d, finish_reason: finish }] });

test('a stream split anywhere, CRLF lines, comments, the usage chunk and [DONE]', async () => {
  const body = `: keep-alive\r\n\r\n${delta({ role: 'assistant', content: 'Hel' })}${delta({ content: 'lo' })}${delta({}, 'stop')}${event({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } })}data: [DONE]\n\n`;
  const { text, handlers } = collector();
  const pieces = body.replace(/\n/g, '\r\n').match(/[\s\S]{1,5}/g) ?? [];
  expect(await readChatResponse(chunks(...pieces), 'text/event-stream; charset=utf-8', handlers)).toEqual({
    finishReason: 'stop',
    usage: { prompt_tokens: 3, completion_tokens: 2 },
  });
  expect(text).toEqual(['Hel', 'lo']);
});

test('tool call pieces keep their index; a whole JSON answer works too', async () => {
  const streamed = collector();
  await readChatResponse(
    chunks(delta({ tool_calls: [{ index: 1, id: 'c1', function: { name: 'f', arguments: '{"a"' } }] }), delta({ tool_calls: [{ index: 1, function: { arguments: ':1}' } }] }, 'tool_calls')),
    'text/event-stream',
    streamed.handlers,
  );
  expect(streamed.calls).toEqual([{ index: 1, id: 'c1', name: 'f', arguments: '{"a"' }, { index: 1, arguments: ':1}' }]);

  const whole = collector();
  const answer = { choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'x', type: 'function', function: { name: 'g', arguments: '{}' } }] }, finish_reason: 'tool_calls' }] };
  expect(await readChatResponse(chunks(JSON.stringify(answer)), 'application/json', whole.handlers)).toEqual({ finishReason: 'tool_calls', usage: null });
  expect(whole.calls).toEqual([{ index: 0, id: 'x', name: 'g', arguments: '{}' }]);
});

test('a stream that said it was finished needs no [DONE]; one that did not is cut off', async () => {
  expect((await readChatResponse(chunks(delta({ content: 'a' }, 'length')), 'text/event-stream', collector().handlers)).finishReason).toBe('length');
  await expect(readChatResponse(chunks(delta({ content: 'a' })), 'text/event-stream', collector().handlers)).rejects.toThrow('its stream stopped before the reply was finished');
});

test.each<[string, () => AsyncGenerator<Buffer>, string]>([
  ['an error inside the stream', () => chunks(delta({ content: 'a' }), event({ error: { message: 'overloaded' } })), 'it sent an error in the stream: overloaded'],
  ['an event that is not an object', () => chunks('data: [1,2]\n\n'), 'it sent a stream event that is not an object'],
  ['a tool call index out of range', () => chunks(delta({ tool_calls: [{ index: 500 }] })), 'it sent a tool call index that is not an integer from 0 to 127'],
  ['content that is not a string', () => chunks(delta({ content: 42 })), 'its delta content is not a string'],
  ['one event over 1 MiB', () => chunks(`data: "${'x'.repeat(1024 * 1024)}`), 'longer than 1048576 bytes'],
  [
    'an answer over 16 MiB, in small lines',
    async function* () {
      const comments = Buffer.from(': keep-alive\n'.repeat(80_000));
      for (let sent = 0; sent <= MAX_RESPONSE_BYTES; sent += comments.length) yield comments;
    },
    `its answer is longer than ${MAX_RESPONSE_BYTES} bytes`,
  ],
])('%s is refused', async (_name, body, message) => {
  await expect(readChatResponse(body(), 'text/event-stream', collector().handlers)).rejects.toThrow(message);
});
