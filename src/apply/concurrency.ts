/**
 * How many requests the applier has in flight at once: a limit that adapts to the server,
 * as TCP's congestion window does (additive increase, multiplicative decrease). Every
 * request of a plan takes a permit (paced-retry.ts asks the observer) and gives it back
 * with its answer; the pool runs as many operations as there are permits, plus those
 * waiting out a backoff, which hold none (so a few failures do not idle the pool).
 *
 * - It starts at 10 (the old fixed default) and, until the first sign of trouble, grows
 *   by one for each answer (doubling every round trip: slow start); afterwards by one per
 *   round trip's worth of answers. It grows only while the pool uses at least half of it.
 * - Answers slower (on a moving average) than twice the least latency seen lately, and
 *   25 ms more, say requests queue at the server: the limit shrinks by a tenth. The
 *   average and the slack keep one slow answer, or the jitter of a fast local server,
 *   from counting; the first 20 answers (connections, a cold start) are not judged.
 * - A timeout, a 503 or a 504 says the server is overloaded: it shrinks by a quarter.
 * - Either decrease happens at most once per round trip and per quarter second, so the
 *   answers of one burst count once, faults that strike at random (a flaky network) cost
 *   little, and a server that refuses everything still brings 64 down to 10 in 2 s.
 * - A 429 ends slow start and nothing more: the rate is the pacer's business (it spaces
 *   request starts), and fewer requests in flight would not make them more welcome.
 * - Other failures (a 500, a dropped connection, a 4xx) say nothing about load.
 *
 * It never leaves [1, max]; `max` is `--parallelism` when the user gives one.
 */
import type { RequestObserver, RequestOutcome } from '../api/paced-retry.js';
import { systemClock, type RetryClock } from '../api/retry.js';

export const ADAPTIVE_LIMIT = {
  initial: 10,
  /** The bound when the user sets none. */
  max: 64,
  /** A moving average of latency above this multiple of the least seen lately, plus the slack, is queueing. */
  latencyTolerance: 2,
  latencySlackMs: 25,
  /** Weight of each answer in the moving average. */
  latencySmoothing: 0.1,
  /** Answers before latency is judged. */
  warmUp: 20,
  /** The least time between two decreases. */
  minHoldMs: 250,
  onQueueing: 0.9,
  onOverload: 0.75,
  /** Answers after which the least latency is measured afresh (a server may get slower for good). */
  baselineWindow: 200,
} as const;

/** What the pool reads: how many operations may be under way, and a wake-up when that grows. */
export interface PoolCapacity {
  readonly slots: number;
  changed(): Promise<void>;
}

interface Waiter {
  grant: () => void;
}

export class AdaptiveLimit implements RequestObserver, PoolCapacity {
  private value: number;
  private slowStart = true;
  private inFlight = 0;
  private resting = 0;
  private readonly queue: Waiter[] = [];
  private wakeUps: Array<() => void> = [];
  private baselineMs = Number.POSITIVE_INFINITY;
  private recentMs: number | null = null;
  private windowMinMs = Number.POSITIVE_INFINITY;
  private windowCount = 0;
  private answers = 0;
  private holdUntil = 0;

  constructor(
    private readonly max: number = ADAPTIVE_LIMIT.max,
    private readonly clock: RetryClock = systemClock,
  ) {
    this.value = Math.min(ADAPTIVE_LIMIT.initial, max);
  }

  /** Requests that may be in flight at once now. */
  get limit(): number {
    return Math.max(1, Math.floor(this.value));
  }

  /** Operations that may be under way: one per permit, and those waiting out a backoff. */
  get slots(): number {
    return this.limit + this.resting;
  }

  changed(): Promise<void> {
    return new Promise((resolve) => this.wakeUps.push(resolve));
  }

  sending(signal?: AbortSignal): Promise<void> {
    if (this.queue.length === 0 && this.inFlight < this.limit) {
      this.inFlight += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.queue.splice(this.queue.indexOf(waiter), 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          this.inFlight += 1;
          resolve();
        },
      };
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  rest(resting: boolean): void {
    this.resting += resting ? 1 : -1;
    this.wake();
  }

  answered(outcome: RequestOutcome, latencyMs: number): void {
    const used = this.inFlight + this.queue.length >= this.limit / 2;
    this.inFlight -= 1;
    if (outcome === 'ok') this.succeeded(latencyMs, used);
    else if (outcome === 'overloaded') this.decrease(ADAPTIVE_LIMIT.onOverload, latencyMs);
    else if (outcome === 'rate-limited') this.slowStart = false;
    while (this.queue.length > 0 && this.inFlight < this.limit) this.queue.shift()?.grant();
    this.wake();
  }

  private wake(): void {
    const wakeUps = this.wakeUps;
    this.wakeUps = [];
    for (const wakeUp of wakeUps) wakeUp();
  }
  private succeeded(latencyMs: number, used: boolean): void {
    this.noteLatency(latencyMs);
    const recent = this.recentMs ?? latencyMs;
    if (this.answers >= ADAPTIVE_LIMIT.warmUp && recent > this.baselineMs * ADAPTIVE_LIMIT.latencyTolerance + ADAPTIVE_LIMIT.latencySlackMs) {
      this.decrease(ADAPTIVE_LIMIT.onQueueing, latencyMs);
      return;
    }
    if (!used) return;
    this.value = Math.min(this.max, this.value + (this.slowStart ? 1 : 1 / this.value));
  }

  private decrease(factor: number, latencyMs: number): void {
    this.slowStart = false;
    const now = this.clock.now();
    if (now < this.holdUntil) return;
    this.value = Math.max(1, this.value * factor);
    this.holdUntil = now + Math.max(latencyMs, ADAPTIVE_LIMIT.minHoldMs);
  }

  private noteLatency(latencyMs: number): void {
    this.answers += 1;
    this.recentMs = this.recentMs === null ? latencyMs : this.recentMs + (latencyMs - this.recentMs) * ADAPTIVE_LIMIT.latencySmoothing;
    this.baselineMs = Math.min(this.baselineMs, latencyMs);
    this.windowMinMs = Math.min(this.windowMinMs, latencyMs);
    if (++this.windowCount < ADAPTIVE_LIMIT.baselineWindow) return;
    this.baselineMs = this.windowMinMs;
    this.windowMinMs = Number.POSITIVE_INFINITY;
    this.windowCount = 0;
  }
}
