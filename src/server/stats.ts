/**
 * The counters `GET /_admin/stats` reports and `POST /_admin/reset` zeroes.
 */

export interface ServerStats {
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
  /** How many of each object the server holds now (not zeroed by a reset of the counters alone). */
  objects: ObjectCounts;
}

export interface ObjectCounts {
  assistants: number;
  files: number;
  threads: number;
  messages: number;
  runs: number;
}

type Counters = Omit<ServerStats, 'objects'>;

function emptyStats(): Counters {
  return { requests: 0, byRoute: {}, byStatus: {}, faults: { errors: 0, drops: 0, stalls: 0 }, rateLimited: 0 };
}

export class StatsCounter {
  private stats = emptyStats();

  /** `countObjects` reads what the store holds at the moment of a snapshot. */
  constructor(private readonly countObjects: () => ObjectCounts) {}

  /** A copy: callers may keep it while counting goes on. */
  snapshot(): ServerStats {
    return { ...structuredClone(this.stats), objects: this.countObjects() };
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

  fault(kind: keyof ServerStats['faults']): void {
    this.stats.faults[kind]++;
  }

  rateLimited(): void {
    this.stats.rateLimited++;
  }
}
