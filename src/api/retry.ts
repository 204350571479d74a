/**
 * The retry policy, in one place (it follows openai-node 4.36.0).
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
 * `maxRetries` (default 2) bounds the retries; pass `maxRetries: 0` on a call to
 * handle an ambiguous non-idempotent request yourself.
 */

export const RETRY_POLICY = {
  retryableStatuses: new Set([408, 409, 429]),
  retryServerErrorsFrom: 500,
  initialDelayMs: 500,
  maxDelayMs: 8_000,
  jitter: 0.25,
  maxRetryAfterMs: 60_000,
} as const;

export type HeaderLookup = (name: string) => string | undefined;

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
