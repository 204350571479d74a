/**
 * The retry policy, in one place (it follows openai-node 4.36.0). The client's transport
 * uses it for each request (`maxRetries`), and jobs of many requests (apply, the
 * behaviour tests) use it through paced-retry.ts, so both read a failure the same way.
 *
 * | what happened                                   | retried?                      |
 * | ----------------------------------------------- | ----------------------------- |
 * | `x-should-retry: true` / `false`                | yes / no, whatever the status |
 * | 408, 409, 429, >= 500                           | yes                           |
 * | any other status                                | no                            |
 * | connection refused/reset/closed, timeout        | yes (every method)            |
 * | the caller's AbortSignal                        | no                            |
 *
 * The wait: `retry-after-ms`, else `retry-after` (seconds or an HTTP date) when it is
 * under 60 s; otherwise 0.5 s * 2^n capped at 8 s, minus up to 25% jitter.
 * `maxRetries` (default 2) bounds the client's retries; pass `maxRetries: 0` on a call to
 * handle an ambiguous non-idempotent request yourself.
 *
 * A retried failure is ambiguous (the request may have been processed although no answer
 * came back: a timeout, a dropped connection, a 5xx) unless it is a 429, which says the
 * server did nothing. Time, waits and jitter come from a `RetryClock`, so tests run the
 * policy on a fake one.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { APIError, errorForStatus, type APIErrorDetails } from './errors.js';

export const RETRY_POLICY = {
  retryableStatuses: new Set([408, 409, 429]),
  retryServerErrorsFrom: 500,
  initialDelayMs: 500,
  maxDelayMs: 8_000,
  jitter: 0.25,
  maxRetryAfterMs: 60_000,
} as const;

/** The response headers a retry decision reads; an `APIError` keeps them. */
export const RETRY_HEADERS = ['retry-after', 'retry-after-ms', 'x-should-retry'] as const;

export type HeaderLookup = (name: string) => string | undefined;

/** Time as the policy sees it: the system's, or a test's. */
export interface RetryClock {
  now(): number;
  /** Resolves after `ms`; rejects at once when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** In [0, 1): the jitter. */
  random(): number;
}

export const systemClock: RetryClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, signal ? { signal } : undefined),
  random: () => Math.random(),
};

export function isRetryableStatus(status: number, header: HeaderLookup): boolean {
  const forced = header('x-should-retry');
  if (forced === 'true') return true;
  if (forced === 'false') return false;
  return RETRY_POLICY.retryableStatuses.has(status) || status >= RETRY_POLICY.retryServerErrorsFrom;
}

/** The wait the server asked for, in ms, or null when it named none (or an unusable one). */
export function retryAfterMs(header: HeaderLookup, now: number = Date.now()): number | null {
  const ms = header('retry-after-ms');
  if (ms !== undefined) {
    const value = Number.parseFloat(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = header('retry-after');
  if (after === undefined) return null;
  const seconds = Number.parseFloat(after);
  if (Number.isFinite(seconds) && /^\s*[\d.]+\s*$/.test(after)) return Math.max(0, seconds * 1000);
  const date = Date.parse(after);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** How long to wait before retry number `retryIndex` (0 for the first retry). */
export function retryDelayMs(retryIndex: number, serverAskedMs: number | null, random: () => number = Math.random): number {
  if (serverAskedMs !== null && serverAskedMs < RETRY_POLICY.maxRetryAfterMs) return serverAskedMs;
  const base = Math.min(RETRY_POLICY.initialDelayMs * 2 ** retryIndex, RETRY_POLICY.maxDelayMs);
  return base * (1 - random() * RETRY_POLICY.jitter);
}

/**
 * The error for an answer with a status outside 2xx: its class, whether it is retried
 * and the wait the server named, with the headers that decided them.
 */
export function responseError(
  details: APIErrorDetails & { status: number },
  header: HeaderLookup,
  now: number = Date.now(),
): APIError {
  const headers: Record<string, string> = {};
  for (const name of RETRY_HEADERS) {
    const value = header(name);
    if (value !== undefined) headers[name] = value;
  }
  return errorForStatus({
    ...details,
    requestId: header('x-request-id') ?? null,
    retryAfterMs: retryAfterMs(header, now),
    retryable: isRetryableStatus(details.status, header),
    headers,
  });
}

export interface Failure {
  /**
   * `rate-limited`: a 429, the server asks to slow down; `transient`: worth sending again;
   * `not-found`: a 404 (a delete is then done); `fatal`: sending again will not help.
   */
  kind: 'rate-limited' | 'transient' | 'not-found' | 'fatal';
  /** The request may have been processed although no answer came back. */
  ambiguous: boolean;
  /** The wait the server asked for, in ms, or null. */
  retryAfterMs: number | null;
}

/** How a job of many requests reads a failure: by the decision the transport made. */
export function classifyFailure(error: unknown): Failure {
  if (!(error instanceof APIError)) return { kind: 'fatal', ambiguous: false, retryAfterMs: null };
  const { retryAfterMs } = error;
  if (!error.retryable) return { kind: error.status === 404 ? 'not-found' : 'fatal', ambiguous: false, retryAfterMs };
  if (error.status === 429) return { kind: 'rate-limited', ambiguous: false, retryAfterMs };
  return { kind: 'transient', ambiguous: true, retryAfterMs };
}
