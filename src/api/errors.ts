/**
 * The client's errors: one class per status family, all extending `APIError`. Each
 * message is one sentence a person can act on; none ever contains the API key (the
 * transport redacts it from anything the server echoes back).
 */

export interface APIErrorDetails {
  /** HTTP status, or undefined when no response arrived. */
  status?: number | undefined;
  /** `error.type` from the body, e.g. `invalid_request_error`. */
  type?: string | null | undefined;
  /** `error.code` from the body, e.g. `invalid_api_key`. */
  code?: string | null | undefined;
  /** `error.param` from the body: the request field at fault. */
  param?: string | null | undefined;
  /** `error.message` from the body, as the server wrote it (key redacted). */
  serverMessage?: string | null | undefined;
  /** The `x-request-id` response header. */
  requestId?: string | null | undefined;
  method: string;
  path: string;
  /** The endpoint's base URL, for messages about where a request went. */
  baseUrl: string;
  /** The server's requested wait (`retry-after-ms` / `retry-after`), in ms. */
  retryAfterMs?: number | null | undefined;
  /** Whether sending the request again may succeed (retry.ts decides; default: no). */
  retryable?: boolean | undefined;
  /** The response headers that decided `retryable` and `retryAfterMs` (retry.ts RETRY_HEADERS). */
  headers?: Readonly<Record<string, string>> | undefined;
  cause?: unknown;
}

export class APIError extends Error {
  override name = 'APIError';
  readonly status: number | undefined;
  readonly type: string | null;
  readonly code: string | null;
  readonly param: string | null;
  readonly serverMessage: string | null;
  readonly requestId: string | null;
  readonly method: string;
  readonly path: string;
  readonly baseUrl: string;
  readonly retryAfterMs: number | null;
  /** Whether sending the request again may succeed, as the transport decided (api/retry.ts). */
  readonly retryable: boolean;
  /** The response headers the retry decision read (`x-should-retry`, `retry-after`, `retry-after-ms`). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(message: string, details: APIErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.type = details.type ?? null;
    this.code = details.code ?? null;
    this.param = details.param ?? null;
    this.serverMessage = details.serverMessage ?? null;
    this.requestId = details.requestId ?? null;
    this.method = details.method;
    this.path = details.path;
    this.baseUrl = details.baseUrl;
    this.retryAfterMs = details.retryAfterMs ?? null;
    this.retryable = details.retryable ?? false;
    this.headers = details.headers ?? {};
  }
}

function said(d: APIErrorDetails): string {
  const text = d.serverMessage?.trim().replace(/[.\s]+$/, '');
  return text ? `: ${text}` : '';
}

function where(d: APIErrorDetails): string {
  return `${d.method} ${d.path}`;
}

function requestRef(d: APIErrorDetails): string {
  return d.requestId ? ` (request ${d.requestId})` : '';
}

export class BadRequestError extends APIError {
  override name = 'BadRequestError';
  constructor(d: APIErrorDetails) {
    const param = d.param ? ` (field '${d.param}')` : '';
    super(`The API refused ${where(d)} as invalid${said(d)}${param}; fix the request and try again.`, d);
  }
}

export class AuthenticationError extends APIError {
  override name = 'AuthenticationError';
  constructor(d: APIErrorDetails) {
    super(
      `The API at ${d.baseUrl} rejected the API key (401 on ${where(d)}); check that OPENAI_API_KEY holds a valid key for this endpoint.`,
      d,
    );
  }
}

export class PermissionDeniedError extends APIError {
  override name = 'PermissionDeniedError';
  constructor(d: APIErrorDetails) {
    super(
      `The API key is not allowed to ${where(d)} (403)${said(d)}; check the key's permissions and OPENAI_ORG_ID / OPENAI_PROJECT_ID.`,
      d,
    );
  }
}

/**
 * What a 404 most likely means: a list (`GET /assistants`) cannot be missing, so the base
 * URL is wrong, most often without its `/v1`; anything else names an id that is gone.
 */
function notFoundHint(d: APIErrorDetails): string {
  const list = d.method === 'GET' && /^\/[a-z_]+\/?(\?.*)?$/.test(d.path);
  if (!list) return 'check the id, or whether it was deleted.';
  const base = d.baseUrl.replace(/\/+$/, '');
  if (!/\/v1$/.test(base)) return `the endpoint ${base} does not serve the API there; the API is usually under /v1: try --endpoint ${base}/v1.`;
  return `the endpoint ${base} does not serve the Assistants API; check --endpoint (or OPENAI_BASE_URL).`;
}

export class NotFoundError extends APIError {
  override name = 'NotFoundError';
  constructor(d: APIErrorDetails) {
    super(`Not found (404 on ${where(d)})${said(d)}; ${notFoundHint(d)}`, d);
  }
}

export class ConflictError extends APIError {
  override name = 'ConflictError';
  constructor(d: APIErrorDetails) {
    super(`The API reported a conflict (409 on ${where(d)})${said(d)}; retry once the other change has finished.`, d);
  }
}

export class UnprocessableEntityError extends APIError {
  override name = 'UnprocessableEntityError';
  constructor(d: APIErrorDetails) {
    super(`The API could not process ${where(d)} (422)${said(d)}; fix the request and try again.`, d);
  }
}

export class RateLimitError extends APIError {
  override name = 'RateLimitError';
  constructor(d: APIErrorDetails) {
    const wait = d.retryAfterMs != null ? ` after ${Math.ceil(d.retryAfterMs / 1000)} s` : ' later';
    super(`The API rate-limited ${where(d)} (429)${said(d)}; try again${wait} or send fewer requests at once.`, d);
  }
}

export class InternalServerError extends APIError {
  override name = 'InternalServerError';
  constructor(d: APIErrorDetails) {
    super(
      `The API failed on ${where(d)} (${d.status ?? 500})${said(d)}${requestRef(d)}; this is usually temporary, so try again.`,
      d,
    );
  }
}

/** A status outside the families above (408, 413, ...). */
export class UnexpectedStatusError extends APIError {
  override name = 'UnexpectedStatusError';
  constructor(d: APIErrorDetails) {
    super(`The API answered ${where(d)} with status ${d.status ?? 'unknown'}${said(d)}${requestRef(d)}.`, d);
  }
}

/** No answer came back (refused, reset, closed): retried, and the request may have been processed. */
export class APIConnectionError extends APIError {
  override name = 'APIConnectionError';
  constructor(d: APIErrorDetails & { reason: string }, message?: string) {
    super(
      message ??
        `Could not reach the API at ${d.baseUrl} (${d.reason}); check --endpoint or OPENAI_BASE_URL, or start a local server with \`assistants serve\`.`,
      { retryable: true, ...d },
    );
  }
}

export class APIConnectionTimeoutError extends APIConnectionError {
  override name = 'APIConnectionTimeoutError';
  constructor(d: APIErrorDetails & { timeoutMs: number }) {
    super(
      { ...d, reason: 'timeout' },
      `${where(d)} to ${d.baseUrl} timed out after ${d.timeoutMs} ms; check that the endpoint is responsive or raise timeoutMs.`,
    );
  }
}

/** The caller's AbortSignal fired. Never retried. */
export class APIUserAbortError extends APIError {
  override name = 'APIUserAbortError';
  constructor(d: APIErrorDetails) {
    super(`${where(d)} was aborted by the caller.`, d);
  }
}

/** No API key was configured, so no request was sent. */
export class MissingApiKeyError extends APIError {
  override name = 'MissingApiKeyError';
  constructor(d: APIErrorDetails) {
    super(
      `No API key is set for ${d.baseUrl}; export OPENAI_API_KEY (any non-empty value works for a local \`assistants serve\` started without --api-key).`,
      d,
    );
  }
}

/** The error class for an HTTP status. */
export function errorForStatus(details: APIErrorDetails & { status: number }): APIError {
  const { status } = details;
  if (status === 400) return new BadRequestError(details);
  if (status === 401) return new AuthenticationError(details);
  if (status === 403) return new PermissionDeniedError(details);
  if (status === 404) return new NotFoundError(details);
  if (status === 409) return new ConflictError(details);
  if (status === 422) return new UnprocessableEntityError(details);
  if (status === 429) return new RateLimitError(details);
  if (status >= 500) return new InternalServerError(details);
  return new UnexpectedStatusError(details);
}

/**
 * A listing that would never end: the server repeated a cursor, or sent more pages than
 * any account holds. Reading stops there rather than loop and fill memory.
 */
export class PaginationError extends APIError {
  override name = 'PaginationError';
  constructor(d: APIErrorDetails & { problem: string }) {
    super(`The API's listing ${where(d)} at ${d.baseUrl} ${d.problem}; stopped reading it (the server's pagination is broken).`, d);
  }
}

/** A streamed run sent an `error` event, or a stream that could not be understood. */
export class StreamError extends APIError {
  override name = 'StreamError';
  constructor(d: APIErrorDetails) {
    super(`The event stream of ${where(d)} failed${said(d)}; check the run with getRun and try again.`, d);
  }
}
