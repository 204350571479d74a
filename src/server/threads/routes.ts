import type { ServerContext } from '../context.js';
import type { Router } from '../router.js';

/** Placeholder until the threads/runs routes land; that engineer replaces this file. */
export function registerThreadRoutes(_router: Router, _ctx: ServerContext): void {}
