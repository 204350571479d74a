/**
 * A small server-sent-events parser (the WHATWG event-stream format): `event:` and
 * multi-line `data:` fields, `:` comments, CR / LF / CRLF line ends (also split across
 * chunks), an optional leading BOM. An event is dispatched at a blank line; an
 * unterminated event at the end of the stream is discarded, as the format says. An event
 * (its lines so far) longer than `MAX_EVENT_CHARS` stops the parse with an
 * `SseLimitError`, so a hostile stream cannot make the client buffer without end.
 */

/** Far above the largest event the API sends (a run or a message: 256,000-character fields). */
export const MAX_EVENT_CHARS = 16 * 1024 * 1024;

export class SseLimitError extends Error {
  override name = 'SseLimitError';
  constructor(limit: number) {
    super(`an event is longer than ${limit.toLocaleString('en-US')} characters`);
  }
}

export interface ServerSentEvent {
  /** The `event:` field, or `message` when none was sent. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The last `id:` field seen, if any. */
  id: string | undefined;
}

export class SseParser {
  #line = '';
  #skipLeadingLf = false;
  #atStart = true;
  #event = '';
  #data: string[] = [];
  #id: string | undefined;
  /** Characters held for the event under way (its data lines and the current line). */
  #held = 0;

  readonly #maxEventChars: number;

  constructor(maxEventChars: number = MAX_EVENT_CHARS) {
    this.#maxEventChars = maxEventChars;
  }

  /** Feeds decoded text; returns the events completed by it. */
  push(text: string): ServerSentEvent[] {
    const events: ServerSentEvent[] = [];
    let input = text;
    if (this.#atStart && input.length > 0) {
      this.#atStart = false;
      if (input.charCodeAt(0) === 0xfeff) input = input.slice(1);
    }
    let start = 0;
    for (let i = 0; i < input.length; i += 1) {
      const ch = input[i];
      if (this.#skipLeadingLf) {
        this.#skipLeadingLf = false;
        if (ch === '\n') {
          start = i + 1;
          continue;
        }
      }
      if (ch === '\r' || ch === '\n') {
        const event = this.#takeLine(this.#line + input.slice(start, i));
        if (event) events.push(event);
        this.#line = '';
        start = i + 1;
        if (ch === '\r') this.#skipLeadingLf = true;
      }
    }
    this.#line += input.slice(start);
    if (this.#held + this.#line.length > this.#maxEventChars) throw new SseLimitError(this.#maxEventChars);
    return events;
  }

  #takeLine(line: string): ServerSentEvent | undefined {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') {
      this.#held += value.length + 1;
      if (this.#held > this.#maxEventChars) throw new SseLimitError(this.#maxEventChars);
      this.#data.push(value);
    }
    else if (field === 'id' && !value.includes('\0')) this.#id = value;
    return undefined;
  }

  #dispatch(): ServerSentEvent | undefined {
    const event = this.#event || 'message';
    const data = this.#data;
    this.#event = '';
    this.#data = [];
    this.#held = 0;
    if (data.length === 0) return undefined;
    return { event, data: data.join('\n'), id: this.#id };
  }
}

/** Decodes byte chunks (UTF-8, split anywhere) into server-sent events. */
export async function* parseServerSentEvents(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder('utf-8');
  const parser = new SseParser();
  for await (const chunk of chunks) {
    yield* parser.push(decoder.decode(chunk, { stream: true }));
  }
  yield* parser.push(decoder.decode());
}
