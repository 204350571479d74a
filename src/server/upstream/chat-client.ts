/**
 * The HTTP side of a Chat Completions upstream: one POST per turn, streamed, on its own
 * connection pool (closed with the server). Every way it can fail becomes an
 * UpstreamError whose code is the run's `last_error.code` (`rate_limit_exceeded` for a
 * 429, `server_error` for anything else) and whose message names what the upstream did
 * (its status and its own message, a timeout, an unreachable host, a broken answer).
 * The key is sent only in the Authorization header and is scrubbed from every message.
 * Nothing is retried, with one exception: a server that refuses `stream_options` (older
 * vLLM and llama.cpp builds) is asked again without it, and from then on never with it.
 */
import { STATUS_CODES } from 'node:http';
import { Agent, request } from 'undici';
import { scrubValues } from '../../redaction.js';
import type { ChatCompletionRequest } from './chat-request.js';
import { errorText, oneLine, readChatResponse, UpstreamReplyError, type ChatHandlers, type ChatOutcome } from './chat-response.js';
import type { ResolvedChatModel } from './chat-model-options.js';

export type UpstreamErrorCode = 'rate_limit_exceeded' | 'server_error';

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';

  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Bytes of an error answer read at most: enough for any error body. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export class ChatClient {
  readonly #agent: Agent;
  #streamOptions = true;

  constructor(private readonly model: ResolvedChatModel) {
    this.#agent = new Agent({
      headersTimeout: model.timeoutMs,
      bodyTimeout: model.timeoutMs,
      connect: { timeout: Math.min(model.timeoutMs, 30_000) },
    });
  }

  /** Sends the request and hands on the answer as it streams in. Throws UpstreamError. */
  async complete(chat: ChatCompletionRequest, handlers: ChatHandlers, signal: AbortSignal): Promise<ChatOutcome> {
    const { apiKey, apiKeyEnv } = this.model;
    if (apiKey === undefined && apiKeyEnv !== undefined) {
      throw new UpstreamError('server_error', `The upstream model server's key is read from ${apiKeyEnv}, which is not set where this server runs.`);
    }
    const { stream_options: streamOptions, ...rest } = chat;
    const body = this.#streamOptions && streamOptions !== undefined ? chat : rest;
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(this.model.completionsUrl, {
        method: 'POST',
        dispatcher: this.#agent,
        signal,
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream, application/json',
          ...(apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }),
        },
        body: JSON.stringify(body),
      });
    } catch (error) {
      throw this.#transportError(error, false);
    }
    const { statusCode } = response;
    if (statusCode < 200 || statusCode >= 300) {
      const detail = await errorBody(response.body);
      if (statusCode === 400 && body === chat && /stream_options/.test(detail)) {
        this.#streamOptions = false;
        return this.complete(chat, handlers, signal);
      }
      const status = `${statusCode} ${STATUS_CODES[statusCode] ?? ''}`.trim();
      throw new UpstreamError(
        statusCode === 429 ? 'rate_limit_exceeded' : 'server_error',
        this.#clean(`The upstream model server answered ${status}${detail === '' ? '.' : `: ${detail}`}`),
      );
    }
    const contentType = String(response.headers['content-type'] ?? '');
    try {
      return await readChatResponse(response.body, contentType, handlers);
    } catch (error) {
      discard(response.body);
      if (error instanceof UpstreamReplyError) {
        throw new UpstreamError('server_error', this.#clean(`The upstream model server's answer could not be used: ${error.message}.`));
      }
      throw this.#transportError(error, true);
    }
  }

  close(): Promise<void> {
    return this.#agent.close();
  }

  /** A failure below HTTP (connecting, a timeout, a dropped connection) as the run's error. */
  #transportError(error: unknown, answering: boolean): unknown {
    if (!(error instanceof Error)) return error;
    // An abort is the engine's own doing (a cancel, a deleted thread): it is not reported.
    if (error.name === 'AbortError' || (error as NodeJS.ErrnoException).code === 'UND_ERR_ABORTED') return error;
    if (error instanceof UpstreamError) return error;
    const code = (error as NodeJS.ErrnoException).code ?? ((error as { cause?: NodeJS.ErrnoException }).cause?.code ?? '');
    const timeout = this.model.timeoutMs < 1000 ? `${this.model.timeoutMs} ms` : `${Math.round(this.model.timeoutMs / 1000)} s`;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
      return new UpstreamError('server_error', `The upstream model server did not answer within ${timeout}.`);
    }
    if (code === 'UND_ERR_BODY_TIMEOUT') {
      return new UpstreamError('server_error', `The upstream model server stopped sending its answer for ${timeout}.`);
    }
    const reason = oneLine((error as { cause?: Error }).cause?.message ?? error.message);
    return new UpstreamError(
      'server_error',
      this.#clean(
        answering
          ? `The upstream model server's connection broke off in the middle of its answer (${reason}).`
          : `The upstream model server at ${this.model.upstreamUrl} could not be reached (${reason}).`,
      ),
    );
  }

  /** A message without the key, should the upstream have echoed it. */
  #clean(message: string): string {
    return this.model.apiKey === undefined ? message : scrubValues(message, [this.model.apiKey]);
  }
}

/** The upstream's error message from an error answer: its JSON `error.message`, else its text. */
/** Stops reading an answer: its connection is dropped, and the abort that follows is not an error anyone hears. */
export function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => undefined);
  body.destroy();
}

async function errorBody(body: NodeJS.ReadableStream & { destroy(): void }): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      parts.push(chunk as Buffer);
      size += chunk.length;
      if (size >= MAX_ERROR_BODY_BYTES) break;
    }
  } catch {
    // What arrived is enough to say what went wrong.
  } finally {
    discard(body);
  }
  const text = Buffer.concat(parts).toString('utf8');
  try {
    const json: unknown = JSON.parse(text);
    if (typeof json === 'object' && json !== null) {
      const record = json as Record<string, unknown>;
      if (record.error !== undefined) return errorText(record.error);
      if (typeof record.message === 'string') return oneLine(record.message);
    }
  } catch {
    // Not JSON: the text itself.
  }
  return oneLine(text);
}
