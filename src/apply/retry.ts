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

/** A pause shared by every request of a run: after a 429 nobody sends until it ends. */
export class RateGate {
  private resumeAt = 0;

  pause(ms: number): void {
    this.resumeAt = Math.max(this.resumeAt, Date.now() + ms);
  }

  async ready(): Promise<void> {
    for (let wait = this.resumeAt - Date.now(); wait > 0; wait = this.resumeAt - Date.now()) {
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
