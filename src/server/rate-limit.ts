/**
 * A token bucket of `rps` requests per second (burst: one second's worth). `take()`
 * either admits a request or says how long until a token is free; both come with the
 * `x-ratelimit-*` headers the real API sends.
 */
import { ApiError } from './errors.js';

export type RateDecision = { ok: true; headers: Record<string, string> } | { ok: false; error: ApiError };

/** `120ms`, `1s`, `6m0s`: the duration format of `x-ratelimit-reset-*`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${Number(seconds.toFixed(3))}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${Math.round(seconds - minutes * 60)}s`;
}

export class RateLimiter {
  private tokens: number;
  private updated: number;

  constructor(
    private readonly rps: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = rps;
    this.updated = now();
  }

  take(): RateDecision {
    const now = this.now();
    this.tokens = Math.min(this.rps, this.tokens + ((now - this.updated) / 1000) * this.rps);
    this.updated = now;
    const msPerToken = 1000 / this.rps;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true, headers: this.headers() };
    }
    const waitMs = Math.max(1, Math.ceil((1 - this.tokens) * msPerToken));
    const error = new ApiError(
      429,
      `Rate limit reached for requests in organization org-local on requests per second (RPS): Limit ${this.rps}, Used ${this.rps}, Requested 1. Please try again in ${formatDuration(waitMs)}. Visit https://platform.openai.com/account/rate-limits to learn more.`,
      {
        type: 'requests',
        code: 'rate_limit_exceeded',
        headers: {
          ...this.headers(),
          'retry-after': String(Math.ceil(waitMs / 1000)),
          'retry-after-ms': String(waitMs),
        },
      },
    );
    return { ok: false, error };
  }

  private headers(): Record<string, string> {
    const untilFull = ((this.rps - this.tokens) / this.rps) * 1000;
    return {
      'x-ratelimit-limit-requests': String(this.rps),
      'x-ratelimit-remaining-requests': String(Math.floor(this.tokens)),
      'x-ratelimit-reset-requests': formatDuration(untilFull),
    };
  }
}
