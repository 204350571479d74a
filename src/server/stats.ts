/**
 * The counters `GET /_admin/stats` reports and `POST /_admin/reset` zeroes, with the
 * objects the store holds, this server's runs and its store (per replica, with PostgreSQL).
 */
import type { StoreStats } from './store/store.js';
import type { EngineStats } from './threads/engine.js';

/** The request counters. */
export interface RequestStats {
  /** Requests to /v1 since start or the last reset. */
  requests: number;
  /** By route pattern: `"POST /v1/assistants/:assistant_id": 3`. Unmatched paths are not listed. */
  byRoute: Record<string, number>;
  /**
   * By response status, plus `"dropped"` (closed by an injected fault after processing),
   * `"stalled"` (the client left during an injected stall; not processed) and
   * `"client-gone"` (the client disconnected mid-request).
   */
  byStatus: Record<string, number>;
  faults: { errors: number; drops: number; stalls: number };
  rateLimited: number;
}

/** How many of each object the server holds (not zeroed by a reset of the counters alone). */
export interface ObjectCounts {
  assistants: number;
  files: number;
  threads: number;
  messages: number;
  runs: number;
}

export interface ServerStats extends RequestStats {
  objects: ObjectCounts;
  /** The runs this server holds, has taken, claimed and lost, and phases committed. */
  runs: EngineStats;
  /** The store: embedded or postgres, transactions, retries, the database's absences. */
  store: StoreStats;
}

function emptyStats(): RequestStats {
  return { requests: 0, byRoute: {}, byStatus: {}, faults: { errors: 0, drops: 0, stalls: 0 }, rateLimited: 0 };
}

export class StatsCounter {
  private stats = emptyStats();

  /** A copy: callers may keep it while counting goes on. */
  snapshot(): RequestStats {
    return structuredClone(this.stats);
  }

  reset(): void {
    this.stats = emptyStats();
  }

  request(): void {
    this.stats.requests++;
  }

  route(key: string): void {
    this.stats.byRoute[key] = (this.stats.byRoute[key] ?? 0) + 1;
  }

  /** An HTTP status (`"200"`) or an outcome without one (`"dropped"`, `"stalled"`, `"client-gone"`). */
  status(key: string): void {
    this.stats.byStatus[key] = (this.stats.byStatus[key] ?? 0) + 1;
  }

  fault(kind: keyof RequestStats['faults']): void {
    this.stats.faults[kind]++;
  }

  rateLimited(): void {
    this.stats.rateLimited++;
  }
}
