/**
 * Internal to the forge clients: JSON over HTTPS (undici) to one API origin, with the
 * token in a header, bounded answers, and retries where GitHub and GitLab document them:
 * a rate limit (403/429 with `retry-after`, or `x-ratelimit-remaining: 0` and a reset
 * time), a 5xx or a dropped connection (not for a POST, which may have landed). A failure
 * becomes a ForgeError whose message names the request and what the server said, scrubbed
 * of the token; the platform clients add what to do about it.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { ForgeError, scrub, type ForgeErrorKind } from './errors.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface ForgeHttpOptions {
  /** The API root, e.g. `https://api.github.com` or `https://gitlab.example.com/api/v4`. */
  baseUrl: string;
  /** Sent with every request (auth, media type, version). */
  headers: Record<string, string>;
  /** The token: never shown, and never sent to another origin. */
  secret: string;
  timeoutMs?: number;
  /** Retries after the first attempt (default 2). */
  retries?: number;
  /** First backoff after a 5xx or a dropped connection (default 1 s, doubled each time). */
  backoffMs?: number;
  /** The longest rate-limit wait honoured; a longer one fails at once (default 60 s). */
  maxWaitMs?: number;
  /** For tests: how to wait. */
  sleep?: (ms: number) => Promise<void>;
}

export interface ForgeResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** The most a single answer may hold: 100 comments of 65,536 characters fit, with room. */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
const USER_AGENT = 'assistants-iac';

export class ForgeHttp {
  readonly #options: Required<Omit<ForgeHttpOptions, 'sleep'>> & { sleep: (ms: number) => Promise<void> };
  readonly #origin: string;

  constructor(options: ForgeHttpOptions) {
    this.#options = {
      timeoutMs: 30_000,
      retries: 2,
      backoffMs: 1_000,
      maxWaitMs: 60_000,
      sleep: (ms) => delay(ms),
      ...options,
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
    };
    this.#origin = new URL(this.#options.baseUrl).origin;
  }

  /** An absolute URL for `path` (relative to the API root), or `path` itself when it is absolute and on the API's origin. */
  url(path: string): string {
    if (!/^https?:\/\//i.test(path)) return `${this.#options.baseUrl}${path}`;
    if (new URL(path).origin !== this.#origin) {
      throw new ForgeError('server', `the API pointed to ${new URL(path).origin}, not ${this.#origin}; refusing to send the token there`);
    }
    return path;
  }

  /** One request; resolves with any 2xx answer, else throws a ForgeError. */
  async send(method: HttpMethod, path: string, body?: unknown): Promise<ForgeResponse> {
    const url = this.url(path);
    const label = `${method} ${new URL(url).pathname}`;
    const { retries, backoffMs, maxWaitMs, sleep } = this.#options;
    for (let attempt = 0; ; attempt += 1) {
      const outcome = await this.#attempt(method, url, body, label);
      if (outcome.ok) return outcome.response;
      const wait = attempt < retries ? waitBefore(outcome, method, backoffMs * 2 ** attempt) : null;
      if (wait === null || wait > maxWaitMs) throw outcome.error;
      await sleep(wait);
    }
  }

  async #attempt(method: HttpMethod, url: string, body: unknown, label: string): Promise<Attempt> {
    const { headers, secret, timeoutMs } = this.#options;
    let status: number;
    let responseHeaders: Record<string, string>;
    let text: string;
    // Loaded only to comment: plan and apply load undici's pool alone (api/pool.ts), without its fetch and the rest.
    const { request } = await import('undici');
    try {
      const response = await request(url, {
        method,
        headers: {
          ...headers,
          'user-agent': USER_AGENT,
          accept: headers['accept'] ?? 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      status = response.statusCode;
      responseHeaders = flatHeaders(response.headers);
      text = await boundedText(response.body);
    } catch (error) {
      if (error instanceof ForgeError) return { ok: false, error, rateLimitWaitMs: null, retryable: false };
      const code = (error as { code?: string }).code ?? (error instanceof Error ? error.message : String(error));
      return { ok: false, error: new ForgeError('network', scrub(`${label}: no answer (${code})`, secret)), rateLimitWaitMs: null, retryable: true };
    }
    let parsed: unknown = null;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
    }
    if (status >= 200 && status < 300) {
      if (text !== '' && parsed === null && status !== 204) {
        return { ok: false, error: new ForgeError('server', `${label}: the answer (${status}) is not JSON`, status), rateLimitWaitMs: null, retryable: false };
      }
      return { ok: true, response: { status, headers: responseHeaders, body: parsed } };
    }
    const said = scrub(serverMessage(parsed) ?? httpReason(status), secret);
    const rateLimitWaitMs = rateLimitWait(status, responseHeaders, said);
    const kind: ForgeErrorKind =
      rateLimitWaitMs !== null ? 'rate-limited'
      : status === 401 ? 'unauthorized'
      : status === 403 ? 'forbidden'
      : status === 404 ? 'not-found'
      : status === 400 || status === 409 || status === 413 || status === 422 ? 'invalid'
      : 'server';
    const waitNote = rateLimitWaitMs === null ? '' : ` (try again in ${Math.ceil(rateLimitWaitMs / 1000)} s)`;
    const error = new ForgeError(kind, `${label} answered ${status}: ${oneLine(said)}${waitNote}`, status, responseHeaders);
    return { ok: false, error, rateLimitWaitMs, retryable: status >= 500 };
  }
}

type Attempt =
  | { ok: true; response: ForgeResponse }
  | { ok: false; error: ForgeError; rateLimitWaitMs: number | null; retryable: boolean };

/** How long to wait before trying again, or null when this failure is not retried. */
function waitBefore(outcome: Extract<Attempt, { ok: false }>, method: HttpMethod, backoff: number): number | null {
  if (outcome.rateLimitWaitMs !== null) return outcome.rateLimitWaitMs;
  // A create that failed on the way may still have landed: never post twice.
  if (outcome.retryable && method !== 'POST') return backoff;
  return null;
}

/**
 * The wait a rate limit asks for, or null when the answer is not a rate limit. GitHub:
 * 403 or 429 with `retry-after` (seconds), or `x-ratelimit-remaining: 0` with
 * `x-ratelimit-reset` (epoch seconds), or a secondary-rate-limit message (wait a
 * minute); GitLab: 429 with `retry-after`.
 */
function rateLimitWait(status: number, headers: Record<string, string>, message: string): number | null {
  if (status !== 403 && status !== 429) return null;
  const retryAfter = Number(headers['retry-after']);
  if (headers['retry-after'] !== undefined && Number.isFinite(retryAfter) && retryAfter >= 0) return retryAfter * 1000;
  if (headers['x-ratelimit-remaining'] === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    if (Number.isFinite(reset)) return Math.max(0, reset * 1000 - Date.now());
  }
  if (status === 429 || /rate limit/i.test(message)) return 60_000;
  return null;
}

function serverMessage(body: unknown): string | null {
  if (body === null || typeof body !== 'object') return null;
  const record = body as Record<string, unknown>;
  const message = record['message'] ?? record['error'];
  if (typeof message === 'string') {
    // GitHub's 422 details which field failed and why.
    const errors = Array.isArray(record['errors']) ? record['errors'] : [];
    const details = errors
      .map((e) => (e !== null && typeof e === 'object' ? (e as Record<string, unknown>)['message'] ?? (e as Record<string, unknown>)['code'] : e))
      .filter((d): d is string => typeof d === 'string');
    return details.length > 0 ? `${message} (${details.join('; ')})` : message;
  }
  // GitLab's validation errors: {"message": {"note": ["is too long"]}}.
  if (message !== null && typeof message === 'object') {
    return Object.entries(message as Record<string, unknown>)
      .map(([field, problems]) => `${field} ${Array.isArray(problems) ? problems.join(', ') : String(problems)}`)
      .join('; ');
  }
  return null;
}

function httpReason(status: number): string {
  return status >= 500 ? 'server error' : 'no message';
}

/** At most 300 characters, on one line. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

async function boundedText(body: AsyncIterable<Buffer | Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_RESPONSE_BYTES) throw new ForgeError('server', `the answer is longer than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}
