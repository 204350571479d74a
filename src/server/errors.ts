/**
 * ApiError: every failure a request can cause, answered as the real API does:
 * `{"error": {"message", "type", "param", "code"}}` with an HTTP status.
 *
 * Throw it from any handler; the server turns it into the response. Use the helpers
 * (`notFound`, `invalidRequest`) so messages keep the real API's wording.
 */
export interface ApiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface ApiErrorOptions {
  /** Defaults to `invalid_request_error`. */
  type?: string;
  param?: string | null;
  code?: string | null;
  /** Extra response headers (for example `retry-after` on a 429). */
  headers?: Record<string, string>;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    message: string,
    options: ApiErrorOptions = {},
  ) {
    super(message);
    this.type = options.type ?? 'invalid_request_error';
    this.param = options.param ?? null;
    this.code = options.code ?? null;
    this.headers = options.headers ?? {};
  }

  toBody(): ApiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400 invalid_request_error naming the offending field. */
export function invalidRequest(message: string, param: string | null = null, code: string | null = null): ApiError {
  return new ApiError(400, message, { param, code });
}

/** 404 in the real wording: `No assistant found with id 'asst_…'.` (`kind` is `assistant`, `thread`, `file`, …). */
export function notFound(kind: string, id: string): ApiError {
  return new ApiError(404, `No ${kind} found with id '${id}'.`);
}

/** 500 for anything unexpected; the detail goes to the server log, not to the client. */
export function internalError(): ApiError {
  return new ApiError(500, 'The server had an error while processing your request. Sorry about that!', {
    type: 'server_error',
  });
}

/** 500 for a change the server could not persist: it was undone, so retrying is safe. */
export function changeNotSaved(reason: unknown): ApiError {
  const detail = reason instanceof Error ? reason.message : String(reason);
  return new ApiError(
    500,
    `Your change could not be saved (${detail}); nothing was changed. The server's disk may be full: free space, then retry.`,
    { type: 'server_error' },
  );
}

/** 503 while the database cannot be reached: nothing of the request was kept unless it was answered; retrying is safe. */
export function storeUnavailable(): ApiError {
  return new ApiError(503, 'The server cannot reach its database right now; your request was not completed. Retry in a moment.', {
    type: 'server_error',
    code: 'database_unavailable',
    headers: { 'retry-after': '1' },
  });
}
