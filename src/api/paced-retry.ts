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
 * Which failures are retried, which are ambiguous, and the waits, come from the client's
 * policy (retry.ts), read from the decision the transport put on each `APIError`.
 */
import { APIConnectionTimeoutError, APIError } from './errors.js';
import { classifyFailure, retryDelayMs, systemClock, type Failure, type RetryClock } from './retry.js';

/**
 * Paces every request of a job. A 429 pauses everyone for the wait the server named and
 * widens the spacing between request starts; each success narrows it a little
 * (additive-increase/multiplicative-decrease, as TCP does). So the pool settles just under
 * the server's rate instead of stampeding each time a token frees up.
 */
export class Pacer {
  constructor(readonly clock: RetryClock = systemClock) {}

  private resumeAt = 0;
  private spacingMs = 0;
  private nextStart = 0;
  /** The 429s of requests already in flight belong to the same burst: one slow-down for all. */
  private holdUntil = 0;

  rateLimited(retryAfterMs: number): void {
    const now = this.clock.now();
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

  /** Resolves when this request may start; rejects at once when `signal` aborts first. */
  async ready(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      const at = Math.max(now, this.resumeAt, this.nextStart);
      if (at <= now) {
        this.nextStart = now + this.spacingMs;
        return;
      }
      await this.clock.sleep(at - now, signal);
    }
  }
}

const MIN_SPACING_MS = 1;
const MAX_SPACING_MS = 2000;
const BURST_HOLD_MS = 250;

/** 429s one request may meet before it fails: enough for minutes of a tight limit. */
const MAX_THROTTLED = 200;

/**
 * How an answered request went, for an observer of load (apply's adaptive concurrency):
 * `overloaded` is a timeout, a 503 or a 504; `failed` any other failure.
 */
export type RequestOutcome = 'ok' | 'rate-limited' | 'overloaded' | 'failed';

/** Sees a job's requests: may hold each back (a concurrency limit), and hears how it went. */
export interface RequestObserver {
  /** Resolves when the request may be sent; rejects when `signal` aborts first. */
  sending(signal?: AbortSignal): Promise<void>;
  /** The answer to a request `sending` let through (every one gets exactly one). */
  answered(outcome: RequestOutcome, latencyMs: number): void;
  /** A request waits out a backoff (true), or has done so (false). */
  rest(resting: boolean): void;
}

function outcomeOf(error: unknown, failure: Failure): RequestOutcome {
  if (failure.kind === 'rate-limited') return 'rate-limited';
  if (error instanceof APIConnectionTimeoutError) return 'overloaded';
  if (error instanceof APIError && (error.status === 503 || error.status === 504)) return 'overloaded';
  return 'failed';
}

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
  /** Told of each request sent and how it was answered. */
  observer?: RequestObserver | undefined;
}

export async function retryPaced<T>(send: () => Promise<T>, options: PacedRetryOptions<T>): Promise<T> {
  const { pacer, signal } = options;
  const { clock } = pacer;
  const startedAt = clock.now();
  let failures = 0;
  let throttled = 0;
  for (;;) {
    await givenUpOnAbort(() => pacer.ready(signal), signal);
    const { observer } = options;
    if (observer) await givenUpOnAbort(() => observer.sending(signal), signal);
    const sentAt = clock.now();
    try {
      const result = await send();
      observer?.answered('ok', clock.now() - sentAt);
      pacer.succeeded();
      return result;
    } catch (error) {
      const failedAt = clock.now();
      const failure = classifyFailure(error);
      observer?.answered(outcomeOf(error, failure), failedAt - sentAt);
      if (failure.kind === 'not-found' && options.notFound) return options.notFound();
      if (failure.kind === 'rate-limited' && ++throttled <= MAX_THROTTLED) {
        pacer.rateLimited(failure.retryAfterMs ?? retryDelayMs(0, null, clock.random));
        options.onThrottled?.();
        continue;
      }
      failures++;
      if (failure.kind !== 'transient' || failures >= options.maxAttempts) throw error;
      options.onRetry?.(failures, error);
      observer?.rest(true);
      try {
        await givenUpOnAbort(() => clock.sleep(retryDelayMs(failures - 1, failure.retryAfterMs, clock.random), signal), signal);
      } finally {
        observer?.rest(false);
      }
      const recover = options.recover;
      if (recover && failure.ambiguous) {
        // Sending again before knowing whether the first one landed could duplicate it.
        // A look-up reads whole listings: its time is no measure of the job's requests, so the observer is not told.
        const found = await retryPaced(() => recover({ startedAt, failedAt }), { ...options, notFound: undefined, recover: undefined, observer: undefined });
        if (found !== null) return found;
      }
    }
  }
}

/** `wait`, unless `signal` aborts before or during it: then the error of a request given up before it was sent. */
async function givenUpOnAbort(wait: () => Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  const givenUp = (): Error => new Error('given up before it was sent (interrupted)');
  if (signal?.aborted) throw givenUp();
  try {
    await wait();
  } catch (error) {
    if (signal?.aborted) throw givenUp();
    throw error;
  }
}
