/**
 * The applier's retry policy. The client is called with its own retries off, so that a
 * 429 pauses the whole pool (not one request) and a create that may have reached the
 * server is looked for before it is sent again.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError } from '../api/errors.js';
import { isRetryableStatus } from '../api/retry.js';

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
 * Paces every request of a run. A 429 pauses everyone for the wait the server named and
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
