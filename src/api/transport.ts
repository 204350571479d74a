/**
 * Internal: the one HTTP transport (undici). Auth, headers, timeouts, retries and the
 * mapping of failures to typed errors live here and nowhere else; the API classes only
 * name a verb, a path and a body.
 */
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import {
  APIError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIUserAbortError,
  MissingApiKeyError,
  UnexpectedStatusError,
  type APIErrorDetails,
} from './errors.js';
import type { JsonObject } from '../json.js';
import { connectionPool } from './pool.js';
import { responseError, retryDelayMs, systemClock, type HeaderLookup, type RetryClock } from './retry.js';
import { TOOL_VERSION } from '../version.js';

/**
 * What a response body may hold before reading stops, so a hostile server cannot make the
 * client buffer without end. JSON: a page of 100 objects with the largest fields the API
 * allows (256,000 characters, at most 4 bytes each) fits. An error body only ever gives a
 * short message. Content: the API's largest file (512 MB).
 */
export const MAX_JSON_BODY_BYTES = 128 * 1024 * 1024;
export const MAX_ERROR_BODY_BYTES = 64 * 1024;
export const MAX_CONTENT_BYTES = 512 * 1024 * 1024;
const USER_AGENT = `assistants-client/${TOOL_VERSION} node/${process.version}`;

/** Called before each retry; `retry` counts from 1. */
export interface RetryEvent {
  error: APIError;
  retry: number;
  maxRetries: number;
  delayMs: number;
}

/** Per-call overrides, accepted as the last argument of every API method. */
export interface RequestOptions {
  timeoutMs?: number;
  maxRetries?: number;
  signal?: AbortSignal;
}

/** One attempt's outcome, for a debug log: no key, no body. */
export interface ResponseEvent {
  method: ApiRequest['method'];
  /** The path and query, under the base URL. */
  path: string;
  /** The HTTP status; null when no response came (a connection error, a timeout). */
  status: number | null;
  ms: number;
}

export interface TransportSettings {
  baseUrl: URL;
  apiKey: string | undefined;
  organization: string | undefined;
  project: string | undefined;
  timeoutMs: number;
  maxRetries: number;
  dispatcher: Dispatcher | undefined;
  onRetry: ((event: RetryEvent) => void) | undefined;
  onResponse?: ((event: ResponseEvent) => void) | undefined;
  /** Aborts every request (with the per-call signal, whichever comes first). */
  signal: AbortSignal | undefined;
  /** Waits between retries and their jitter (default: the system's). */
  clock?: RetryClock | undefined;
}

export type QueryValue = string | number | null | undefined;

export interface ApiRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Relative to the base URL, already encoded (see `encodePath`). */
  path: string;
  query?: Record<string, QueryValue>;
  /** A JSON body, or bytes of a content type (`content` is called once per attempt: a stream is read once). */
  body?: { json: JsonObject } | RawBody;
  /** Send `OpenAI-Beta: assistants=v1` (assistants and threads routes). */
  beta?: boolean;
}

export interface RawBody {
  contentType: string;
  /** Bytes `content` yields, sent as Content-Length. */
  length: number;
  content: () => Uint8Array | Readable;
}

/** Builds a path with every interpolated id percent-encoded. */
export function encodePath(strings: TemplateStringsArray, ...ids: string[]): string {
  return strings.reduce((out, part, i) => out + part + (i < ids.length ? encodeURIComponent(ids[i] ?? '') : ''), '');
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: APIError };

/**
 * Reads a successful response. A body read after the attempt returns (a stream) calls
 * `holdSignal` first: the caller's signal then still aborts the request until the returned
 * function is called.
 */
type Consume<T> = (response: Dispatcher.ResponseData, details: APIErrorDetails, holdSignal: () => () => void) => Promise<T>;

const TIMED_OUT = Symbol('timed out');
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);
const MIN_REDACTED_KEY_LENGTH = 6;

export class Transport {
  readonly #settings: TransportSettings;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #basePath: string;
  /** The base URL as people write it (no trailing slash), for error messages. */
  readonly #baseUrl: string;

  constructor(settings: TransportSettings) {
    this.#settings = settings;
    this.#ownsDispatcher = settings.dispatcher === undefined;
    this.#dispatcher = settings.dispatcher ?? connectionPool(settings.baseUrl.origin, { keepAliveTimeout: 10_000 });
    this.#basePath = settings.baseUrl.pathname.replace(/\/+$/, '');
    this.#baseUrl = settings.baseUrl.href.replace(/\/+$/, '');
  }

  /** Sends a request and returns its JSON body, typed as the caller's wire shape. */
  json<W>(request: ApiRequest, options?: RequestOptions): Promise<W> {
    return this.#send(request, options, 'application/json', async (response, details) => {
      const body = await readBounded(response.body, MAX_JSON_BODY_BYTES);
      if (body.cut) throw this.#tooLarge(details, response.statusCode, MAX_JSON_BODY_BYTES);
      const text = body.data.toString('utf8');
      try {
        return JSON.parse(text) as W;
      } catch (cause) {
        throw new UnexpectedStatusError({
          ...details,
          status: response.statusCode,
          serverMessage: `the response body is not JSON (${this.#redact(text.slice(0, 80))})`,
          cause,
        });
      }
    });
  }

  /** Sends a request and returns its raw body. */
  bytes(request: ApiRequest, options?: RequestOptions): Promise<Buffer> {
    return this.#send(request, options, '*/*', async (response, details) => {
      const body = await readBounded(response.body, MAX_CONTENT_BYTES);
      if (body.cut) throw this.#tooLarge(details, response.statusCode, MAX_CONTENT_BYTES);
      return body.data;
    });
  }

  #tooLarge(details: APIErrorDetails, status: number, limit: number): APIError {
    return new UnexpectedStatusError({ ...details, status, serverMessage: `the response body is larger than ${limit / 1024 / 1024} MiB, so it was not read` });
  }

  /**
   * Sends a request whose answer is `text/event-stream` and returns the body as it
   * arrives. The timeout covers the wait for headers; the caller's signal (or
   * `return()` on the iterator) ends the stream early.
   */
  eventStream(request: ApiRequest, options?: RequestOptions): Promise<AsyncIterable<Buffer>> {
    return this.#send(request, options, 'text/event-stream', async (response, details, holdSignal) => {
      const body = response.body;
      const release = holdSignal();
      const timer = { ms: options?.timeoutMs ?? this.#settings.timeoutMs, fired: false };
      const classify = (error: unknown): APIError => this.#classify(error, details, this.#signalFor(options), timer);
      return (async function* chunks(): AsyncGenerator<Buffer> {
        try {
          for await (const chunk of body) yield chunk as Buffer;
        } catch (error) {
          throw classify(error);
        } finally {
          if (!body.destroyed) body.destroy();
          release();
        }
      })();
    });
  }

  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  async #send<T>(
    request: ApiRequest,
    options: RequestOptions | undefined,
    accept: string,
    consume: Consume<T>,
  ): Promise<T> {
    const details: APIErrorDetails = { method: request.method, path: request.path, baseUrl: this.#baseUrl };
    if (!this.#settings.apiKey) throw new MissingApiKeyError(details);
    const maxRetries = options?.maxRetries ?? this.#settings.maxRetries;
    const timeoutMs = options?.timeoutMs ?? this.#settings.timeoutMs;
    const signal = this.#signalFor(options);
    const clock = this.#settings.clock ?? systemClock;
    for (let retry = 0; ; retry += 1) {
      const outcome = await this.#attempt(request, accept, timeoutMs, signal, details, consume);
      if (outcome.ok) return outcome.value;
      if (!outcome.error.retryable || retry >= maxRetries) throw outcome.error;
      const delayMs = retryDelayMs(retry, outcome.error.retryAfterMs, clock.random);
      this.#settings.onRetry?.({ error: outcome.error, retry: retry + 1, maxRetries, delayMs });
      try {
        await clock.sleep(delayMs, signal);
      } catch (cause) {
        throw new APIUserAbortError({ ...details, cause });
      }
    }
  }

  /** The call's signal and the configuration's, whichever aborts first. */
  #signalFor(options: RequestOptions | undefined): AbortSignal | undefined {
    const own = options?.signal;
    const shared = this.#settings.signal;
    return own && shared ? AbortSignal.any([own, shared]) : (own ?? shared);
  }

  async #attempt<T>(
    request: ApiRequest,
    accept: string,
    timeoutMs: number,
    userSignal: AbortSignal | undefined,
    details: APIErrorDetails,
    consume: Consume<T>,
  ): Promise<Outcome<T>> {
    if (userSignal?.aborted) return { ok: false, error: new APIUserAbortError(details) };
    // One controller aborts the attempt: on its timeout, or when the caller's signal aborts (a
    // listener taken off when the attempt ends; AbortSignal.any per attempt cost more CPU).
    const controller = new AbortController();
    const timer = { ms: timeoutMs, fired: false };
    const timeout = setTimeout(() => {
      timer.fired = true;
      controller.abort(TIMED_OUT);
    }, timeoutMs);
    const onAbort = (): void => controller.abort(userSignal?.reason);
    userSignal?.addEventListener('abort', onAbort, { once: true });
    const detach = (): void => userSignal?.removeEventListener('abort', onAbort);
    let held = false;
    const holdSignal = (): (() => void) => {
      held = true;
      return detach;
    };
    const signal = controller.signal;
    const started = performance.now();
    let observed = false;
    const observe = (status: number | null): void => {
      observed = true;
      this.#settings.onResponse?.({ method: request.method, path: this.#pathWithQuery(request), status, ms: Math.round(performance.now() - started) });
    };
    try {
      const response = await this.#dispatcher.request({
        origin: this.#settings.baseUrl.origin,
        path: this.#pathWithQuery(request),
        method: request.method,
        headers: this.#headers(request, accept),
        body: request.body === undefined ? null : 'json' in request.body ? JSON.stringify(request.body.json) : request.body.content(),
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      observe(response.statusCode);
      if (response.statusCode >= 200 && response.statusCode < 300) {
        return { ok: true, value: await consume(response, details, holdSignal) };
      }
      const body = await this.#readErrorBody(response);
      const header = headerLookup(response.headers);
      return { ok: false, error: responseError({ ...details, status: response.statusCode, ...body }, header, (this.#settings.clock ?? systemClock).now()) };
    } catch (cause) {
      const error = this.#classify(cause, details, userSignal, timer);
      if (!observed) observe(null);
      return { ok: false, error };
    } finally {
      clearTimeout(timeout);
      if (!held) detach();
    }
  }

  #classify(
    cause: unknown,
    details: APIErrorDetails,
    userSignal: AbortSignal | undefined,
    timer: { ms: number; fired: boolean },
  ): APIError {
    if (cause instanceof APIError) return cause;
    if (timer.fired) return new APIConnectionTimeoutError({ ...details, timeoutMs: timer.ms, cause });
    if (userSignal?.aborted) return new APIUserAbortError({ ...details, cause });
    const code = errorCode(cause);
    if (code !== undefined && TIMEOUT_CODES.has(code)) return new APIConnectionTimeoutError({ ...details, timeoutMs: timer.ms, cause });
    const reason = code ?? (cause instanceof Error ? this.#redact(cause.message) : 'unknown error');
    return new APIConnectionError({ ...details, reason, cause });
  }

  async #readErrorBody(response: Dispatcher.ResponseData): Promise<Pick<APIErrorDetails, 'type' | 'code' | 'param' | 'serverMessage'>> {
    const body = await readBounded(response.body, MAX_ERROR_BODY_BYTES, true).catch(() => ({ data: Buffer.alloc(0), cut: false }));
    const text = body.data.toString('utf8');
    if (body.cut) return { serverMessage: this.#redact(text.slice(0, 200)) };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { serverMessage: text ? this.#redact(text.slice(0, 200)) : null };
    }
    const error = typeof parsed === 'object' && parsed !== null ? (parsed as { error?: unknown }).error : undefined;
    if (typeof error !== 'object' || error === null) return { serverMessage: this.#redact(text.slice(0, 200)) };
    const field = (name: string): string | null => {
      const value = (error as Record<string, unknown>)[name];
      return typeof value === 'string' ? this.#redact(value) : null;
    };
    return { type: field('type'), code: field('code'), param: field('param'), serverMessage: field('message') };
  }

  #redact(text: string): string {
    const key = this.#settings.apiKey;
    return key && key.length >= MIN_REDACTED_KEY_LENGTH ? text.split(key).join('[redacted]') : text;
  }

  #pathWithQuery(request: ApiRequest): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined && value !== null) params.append(name, String(value));
    }
    const query = params.toString();
    return `${this.#basePath}${request.path}${query ? `?${query}` : ''}`;
  }

  #headers(request: ApiRequest, accept: string): Record<string, string> {
    const { apiKey, organization, project } = this.#settings;
    const headers: Record<string, string> = {
      authorization: `Bearer ${apiKey ?? ''}`,
      accept,
      'user-agent': USER_AGENT,
    };
    if (request.beta) headers['openai-beta'] = 'assistants=v1';
    if (organization) headers['openai-organization'] = organization;
    if (project) headers['openai-project'] = project;
    if (request.body && 'json' in request.body) headers['content-type'] = 'application/json';
    else if (request.body) {
      headers['content-type'] = request.body.contentType;
      headers['content-length'] = String(request.body.length);
    }
    return headers;
  }
}

/**
 * A body's bytes, up to `limit`: past it, reading stops, the rest is dropped with the
 * connection and `cut` is true (`data` is then what was read when `keepCut`, else empty).
 */
async function readBounded(body: Dispatcher.ResponseData['body'], limit: number, keepCut = false): Promise<{ data: Buffer; cut: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    if (size > limit) {
      body.destroy();
      return { data: keepCut ? Buffer.concat(chunks) : Buffer.alloc(0), cut: true };
    }
    chunks.push(bytes);
  }
  return { data: Buffer.concat(chunks), cut: false };
}

function headerLookup(headers: Dispatcher.ResponseData['headers']): HeaderLookup {
  return (name) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
}

function errorCode(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
