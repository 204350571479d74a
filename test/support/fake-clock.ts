/**
 * A clock for the retry policy (api/retry.ts RetryClock) whose time moves only when every
 * sleeper waits: once the promises in hand have settled (a macrotask later), it jumps to
 * the earliest timer and wakes it. So minutes of backoff and pacing run in milliseconds,
 * in a fixed order, and `now()` tells when each request would have started. No jitter.
 */
import type { RetryClock } from '../../src/api/retry.js';

interface Timer {
  at: number;
  seq: number;
  wake: () => void;
}

export class FakeClock implements RetryClock {
  private time: number;
  private timers: Timer[] = [];
  private seq = 0;
  private scheduled = false;
  /** Every wait asked for, in ms, in order. */
  readonly sleeps: number[] = [];

  constructor(start = Date.parse('2026-01-02T03:04:05.000Z')) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  random(): number {
    return 0;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(signal?.reason);
      };
      const timer: Timer = {
        at: this.time + Math.max(0, ms),
        seq: this.seq++,
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.push(timer);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.advance());
  }

  private advance(): void {
    this.scheduled = false;
    if (this.timers.length === 0) return;
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.time = Math.max(this.time, (this.timers[0] as Timer).at);
    const due = this.timers.filter((t) => t.at <= this.time);
    this.timers = this.timers.filter((t) => t.at > this.time);
    for (const timer of due) timer.wake();
    if (this.timers.length > 0) this.schedule();
  }
}
