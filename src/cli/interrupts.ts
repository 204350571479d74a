/**
 * Ctrl-C (SIGINT) and SIGTERM, handled the way Terraform does:
 *
 * - the first asks the command to stop: a prompt or a wait for a lock is cancelled, apply
 *   starts nothing new and lets what is in flight finish and be recorded;
 * - the second (or the first, when nothing in flight is worth finishing: reading, planning)
 *   aborts the requests in flight, so the command records what it knows and ends at once
 *   instead of waiting out a request timeout.
 *
 * Either way the command unwinds normally, so the state lock is released and the journal
 * folded. `processIo` binds one to the process's signals; tests call `interrupt()`.
 */
import { setMaxListeners } from 'node:events';

export class Interrupts {
  private readonly stopping = unlimitedListeners(new AbortController());
  private readonly aborting = unlimitedListeners(new AbortController());
  private readonly listeners = new Set<(count: number) => void>();
  private received = 0;
  private finishingInFlight = 0;

  /** Aborted by the first interrupt: stop waiting, start nothing new. */
  get stop(): AbortSignal {
    return this.stopping.signal;
  }

  /** Aborted when requests in flight must be given up; every API request of a command carries it. */
  get requests(): AbortSignal {
    return this.aborting.signal;
  }

  /** How many interrupts arrived. */
  get count(): number {
    return this.received;
  }

  interrupt(): void {
    this.received++;
    this.stopping.abort();
    if (this.finishingInFlight === 0 || this.received >= 2) this.aborting.abort();
    for (const listener of this.listeners) listener(this.received);
  }

  /** Calls `listener` with the count on every interrupt, until the returned function is called. */
  onInterrupt(listener: (count: number) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Runs `work` (apply's execution) so that the first interrupt lets its requests in flight finish. */
  async finishInFlight<T>(work: () => Promise<T>): Promise<T> {
    this.finishingInFlight++;
    try {
      return await work();
    } finally {
      this.finishingInFlight--;
    }
  }
}

/**
 * Every request of a command and every wait of apply's pool (up to 64 at once, and those
 * waiting out a backoff) listens on these signals: many listeners are the design, not a
 * leak, so Node is told not to warn about them.
 */
function unlimitedListeners(controller: AbortController): AbortController {
  setMaxListeners(0, controller.signal);
  return controller;
}
