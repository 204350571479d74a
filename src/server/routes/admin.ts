/**
 * Admin endpoints outside /v1, for tests and benchmarks: no faults, no rate limit.
 *   GET  /_admin/stats  -> ServerStats
 *   POST /_admin/reset  -> clears every collection, blob and counter
 */
import type { Router } from '../router.js';
import type { ServerStats } from '../stats.js';

export function registerAdminRoutes(
  router: Router,
  admin: { stats(): Promise<ServerStats>; reset(): Promise<void> },
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
