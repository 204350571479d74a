/**
 * What every route module gets from the server: the store, the options it runs with, and
 * the retrieval index.
 *
 *   export function registerThreadRoutes(router: Router, ctx: ServerContext): void {
 *     ctx.onClose(() => engine.stop());
 *     router.add('POST', '/v1/threads/runs', (req) =>
 *       ctx.store.transaction(async (tx) => {
 *         const assistant = await assistantToWire(tx, id);   // AssistantObject | undefined
 *         ...
 */
import type { ResolvedServerOptions } from './options.js';
import type { Retrieval } from './retrieval/retrieval.js';
import type { ServerStore } from './store/store.js';

export interface ServerContext {
  readonly store: ServerStore;
  readonly options: ResolvedServerOptions;
  /** The index of the uploaded files' text, for runs with the retrieval tool. */
  readonly retrieval: Retrieval;
  /** Called after `POST /_admin/reset` cleared the store (drop timers, caches). */
  onReset(listener: () => void | Promise<void>): void;
  /** Called when the server closes, before the store is closed. */
  onClose(listener: () => void | Promise<void>): void;
}
