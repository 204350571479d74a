/**
 * Retries for a job of many requests (apply's operations, the behaviour tests'
 * conversations). Such a job calls the client with its own retries off (`maxRetries: 0`)
 * and sends each request through `retryPaced`, so that:
 *
 * - a 429 pauses the whole job (one Pacer for all its requests) instead of one request,
 *   and is not a failed attempt: the server did nothing and only asks to slow down;
 * - a 5xx, a timeout or a dropped connection is retried with backoff, up to `maxAttempts`;
 * - a request that may have been processed although no answer came back (a create, a
 *   run) is first looked for (`recover`) before it is sent again, so a retry never makes
 *   a duplicate.
 *
 * Which failures are retried, and the waits, come from the client's policy (retry.ts).
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError } from './errors.js';
import { isRetryableStatus, retryDelayMs } from './retry.js';

export interface Failure {
  kind: 'rate-limited' | 'transient' | 'not-found' | 'fatal';
  /** The request may have been processed although no answer came back. */
  mayHaveBeenProcessed: boolean;
  retryAfterMs?: number;
}

export function classifyFailure(error: unknown): Failure {
  if (error instanceof APIConnectionTimeoutError || error instanceof APIConnectionError) {
    return { kind: 'transient', mayHaveBeenProcessed: true };
  }
  if (error instanceof APIError) {
    const retryAfterMs = error.retryAfterMs ?? undefined;
    if (error.status === 429) return { kind: 'rate-limited', mayHaveBeenProcessed: false, retryAfterMs };
    if (error.status === 404) return { kind: 'not-found', mayHaveBeenProcessed: false };
    if (error.status !== undefined && isRetryableStatus(error.status, () => undefined)) {
      return { kind: 'transient', mayHaveBeenProcessed: true, retryAfterMs };
    }
  }
  return { kind: 'fatal', mayHaveBeenProcessed: false };
}

/**
 * Paces every request of a job. A 429 pauses everyone for the wait the server named and
 * widens the spacing between request starts; each success narrows it a little
 * (additive-increase/multiplicative-decrease, as TCP does). So the pool settles just under
 * the server's rate instead of stampeding each time a token frees up.
 */
export class Pacer {
  private resumeAt = 0;
  private spacingMs = 0;
  private nextStart = 0;
  /** The 429s of requests already in flight belong to the same burst: one slow-down for all. */
  private holdUntil = 0;

  rateLimited(retryAfterMs: number): void {
    const now = Date.now();
    this.resumeAt = Math.max(this.resumeAt, now + retryAfterMs);
    if (now < this.holdUntil) return;
    // A short wait is the time until the server frees one request: the spacing it wants.
    const serverSpacing = retryAfterMs < 1000 ? retryAfterMs : 0;
    this.spacingMs = Math.min(MAX_SPACING_MS, Math.max(MIN_SPACING_MS, this.spacingMs * 1.25, serverSpacing));
    this.holdUntil = now + retryAfterMs + BURST_HOLD_MS;
  }

  succeeded(): void {
    this.spacingMs = this.spacingMs * 0.99 < MIN_SPACING_MS ? 0 : this.spacingMs * 0.99;
  }

  /** Resolves when this request may start. */
  async ready(): Promise<void> {
    for (;;) {
      const now = Date.now();
      const at = Math.max(now, this.resumeAt, this.nextStart);
      if (at <= now) {
        this.nextStart = now + this.spacingMs;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, at - now));
    }
  }
}

const MIN_SPACING_MS = 1;
const MAX_SPACING_MS = 2000;
const BURST_HOLD_MS = 250;

/** 429s one request may meet before it fails: enough for minutes of a tight limit. */
const MAX_THROTTLED = 200;

/** When an ambiguous request was sent and when it failed: a look-up must start after the failure. */
export interface RecoveryWindow {
  startedAt: number;
  failedAt: number;
}

export interface PacedRetryOptions<T> {
  pacer: Pacer;
  /** Failed attempts allowed, the first included (429s do not count). */
  maxAttempts: number;
  /**
   * Aborted when requests in flight are given up (a second Ctrl-C): no request waits any
   * longer for a retry or the pacer.
   */
  signal?: AbortSignal | undefined;
  /** A 404 means the work is already done (a delete): resolve with this value instead. */
  notFound?: (() => T) | undefined;
  /**
   * After a failure that may have been processed: what it made, found on the server, or
   * null to send the request again. Run with the same policy.
   */
  recover?: ((window: RecoveryWindow) => Promise<T | null>) | undefined;
  /** Before each retry after a failure; `attempt` counts the failures so far. */
  onRetry?: ((attempt: number, error: unknown) => void) | undefined;
  onThrottled?: (() => void) | undefined;
}

export async function retryPaced<T>(send: () => Promise<T>, options: PacedRetryOptions<T>): Promise<T> {
  const { pacer, signal } = options;
  const startedAt = Date.now();
  let failures = 0;
  let throttled = 0;
  for (;;) {
    await abortable(pacer.ready(), signal);
    try {
      const result = await send();
      pacer.succeeded();
      return result;
    } catch (error) {
      const failedAt = Date.now();
      const failure = classifyFailure(error);
      if (failure.kind === 'not-found' && options.notFound) return options.notFound();
      if (failure.kind === 'rate-limited' && ++throttled <= MAX_THROTTLED) {
        pacer.rateLimited(failure.retryAfterMs ?? retryDelayMs(0, null));
        options.onThrottled?.();
        continue;
      }
      failures++;
      if (failure.kind !== 'transient' || failures >= options.maxAttempts) throw error;
      options.onRetry?.(failures, error);
      await abortable(sleep(retryDelayMs(failures - 1, failure.retryAfterMs ?? null)), signal);
      const recover = options.recover;
      if (recover && failure.mayHaveBeenProcessed) {
        // Sending again before knowing whether the first one landed could duplicate it.
        const found = await retryPaced(() => recover({ startedAt, failedAt }), { ...options, notFound: undefined, recover: undefined });
        if (found !== null) return found;
      }
    }
  }
}

/** `wait`, unless `signal` aborts first: then an error (the request was given up before it was sent). */
function abortable(wait: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return wait;
  if (signal.aborted) return Promise.reject(new Error('given up before it was sent (interrupted)'));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(new Error('given up before it was sent (interrupted)'));
    signal.addEventListener('abort', onAbort, { once: true });
    wait.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
