/**
 * Admin endpoints outside /v1, for tests and benchmarks: no auth, no faults, no rate limit.
 *   GET  /_admin/stats  -> ServerStats
 *   POST /_admin/reset  -> clears every collection, blob and counter
 */
import type { Router } from '../router.js';

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
}

export function emptyStats(): ServerStats {
  return { requests: 0, byRoute: {}, byStatus: {}, faults: { errors: 0, drops: 0, stalls: 0 }, rateLimited: 0 };
}

export function registerAdminRoutes(
  router: Router,
  admin: { stats(): ServerStats; reset(): Promise<void> },
): void {
  router.add('GET', '/_admin/stats', () => admin.stats(), { beta: false });
  router.add(
    'POST',
    '/_admin/reset',
    async () => {
      await admin.reset();
      return { reset: true };
    },
    { beta: false },
  );
}
