/**
 * The embedded store's run event feed: each run's events in memory, in sequence, while the
 * run is active and for a short while after it ends (a stream that starts just after its
 * run ended still gets every event), at most MAX_EVENTS_PER_RUN per run.
 */
import { endsRun } from '../../threads/events.js';
import type { FeedListener, RunEventFeed, SequencedEvent } from '../store.js';

/** How long the events of an ended run are kept. */
const KEEP_ENDED_MS = 30_000;
/** Events kept per run at most; a follower further behind than that is interrupted. */
const MAX_EVENTS_PER_RUN = 10_000;

interface RunLog {
  events: SequencedEvent[];
  followers: Set<Follower>;
  expiry: NodeJS.Timeout | undefined;
}

interface Follower {
  next: number;
  listener: FeedListener;
}

export class MemoryFeed implements RunEventFeed {
  readonly #logs = new Map<string, RunLog>();

  #log(runId: string): RunLog {
    let log = this.#logs.get(runId);
    if (log === undefined) {
      log = { events: [], followers: new Set(), expiry: undefined };
      this.#logs.set(runId, log);
    }
    return log;
  }

  /** Adds durable events, in sequence, and hands them to the run's followers. */
  publish(runId: string, events: readonly SequencedEvent[]): void {
    const log = this.#log(runId);
    for (const event of events) {
      log.events.push(event);
      if (endsRun(event.event, runId) && log.expiry === undefined) {
        log.expiry = setTimeout(() => this.#drop(runId), KEEP_ENDED_MS);
        log.expiry.unref();
      }
    }
    if (log.events.length > MAX_EVENTS_PER_RUN) log.events.splice(0, log.events.length - MAX_EVENTS_PER_RUN);
    for (const follower of [...log.followers]) this.#deliver(log, follower);
  }

  follow(runId: string, afterSeq: number, listener: FeedListener): () => void {
    const log = this.#log(runId);
    const follower: Follower = { next: afterSeq + 1, listener };
    log.followers.add(follower);
    this.#deliver(log, follower);
    return () => {
      log.followers.delete(follower);
    };
  }

  /** Interrupts the followers of `runIds` (every run's, for null). */
  interrupt(runIds: readonly string[] | null, message: string): void {
    const logs = runIds === null ? [...this.#logs.values()] : runIds.flatMap((id) => this.#logs.get(id) ?? []);
    for (const log of logs) {
      for (const follower of [...log.followers]) {
        log.followers.delete(follower);
        follower.listener.interrupted(message);
      }
    }
  }

  clear(): void {
    for (const log of this.#logs.values()) clearTimeout(log.expiry);
    this.#logs.clear();
  }

  #deliver(log: RunLog, follower: Follower): void {
    const first = log.events[0];
    if (first !== undefined && first.seq > follower.next) {
      log.followers.delete(follower);
      follower.listener.interrupted('The stream fell too far behind its run; follow the run by polling it.');
      return;
    }
    for (const event of log.events) {
      if (event.seq < follower.next) continue;
      if (!log.followers.has(follower)) return;
      follower.next = event.seq + 1;
      follower.listener.event(event);
    }
  }

  #drop(runId: string): void {
    const log = this.#logs.get(runId);
    if (log !== undefined && log.followers.size === 0) this.#logs.delete(runId);
    else if (log !== undefined) {
      log.expiry = setTimeout(() => this.#drop(runId), KEEP_ENDED_MS);
      log.expiry.unref();
    }
  }
}
