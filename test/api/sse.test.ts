import { describe, expect, test } from 'vitest';
import { SseParser, parseServerSentEvents } from '../../src/api/sse.js';

function parseAll(chunks: string[]): Array<{ event: string; data: string }> {
  const parser = new SseParser();
  return chunks.flatMap((chunk) => parser.push(chunk)).map(({ event, data }) => ({ event, data }));
}

describe('SseParser', () => {
  test('named events, multi-line data, comments and the default event name', () => {
    const text = ': keep-alive\nevent: thread.run.created\ndata: {"a":\ndata: 1}\n\ndata: plain\n\n:only a comment\n\n';
    expect(parseAll([text])).toEqual([
      { event: 'thread.run.created', data: '{"a":\n1}' },
      { event: 'message', data: 'plain' },
    ]);
  });

  test('CRLF, CR and LF line ends, split anywhere across chunks', () => {
    const text = 'event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\revent: c\ndata:3\n\n';
    const expected = [
      { event: 'a', data: '1' },
      { event: 'b', data: '2' },
      { event: 'c', data: '3' },
    ];
    expect(parseAll([text])).toEqual(expected);
    for (let cut = 1; cut < text.length; cut += 1) {
      expect(parseAll([text.slice(0, cut), text.slice(cut)])).toEqual(expected);
    }
    expect(parseAll(text.split(''))).toEqual(expected);
  });

  test('a leading BOM, a field without a colon, and only one space stripped', () => {
    expect(parseAll(['\uFEFFevent: x\ndata\ndata:  two spaces\n\n'])).toEqual([{ event: 'x', data: '\n two spaces' }]);
  });

  test('an event without data is not dispatched; an unterminated one is discarded', () => {
    expect(parseAll(['event: empty\n\nevent: cut\ndata: never ends\n'])).toEqual([]);
  });

  test('multi-byte characters split between byte chunks', async () => {
    const bytes = Buffer.from('event: done\ndata: ü→[DONE]\n\n');
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (const byte of bytes) yield Uint8Array.of(byte);
    }
    const events = [];
    for await (const event of parseServerSentEvents(chunks())) events.push(event);
    expect(events).toEqual([{ event: 'done', data: 'ü→[DONE]', id: undefined }]);
  });
});
