/**
 * What every route module gets from the server: the store, the options it runs with, the
 * retrieval index, and lookups of assistants and files for cross-checks (`assistant_id`,
 * `file_ids`).
 *
 *   export function registerThreadRoutes(router: Router, ctx: ServerContext): void {
 *     const threads = ctx.store.collection<ThreadObject>('threads');
 *     ctx.onClose(() => engine.stop());
 *     router.add('POST', '/v1/threads/runs', async (req) => {
 *       const assistant = ctx.getAssistant(id);   // AssistantObject | undefined
 *       ...
 */
import type { ResolvedServerOptions } from './options.js';
import type { Retrieval } from './retrieval/retrieval.js';
import type { Store } from './store.js';
import type { AssistantObject } from './routes/assistants.js';
import type { OpenAIFile } from './routes/files.js';

export interface ServerContext {
  readonly store: Store;
  readonly options: ResolvedServerOptions;
  /** The index of the uploaded files' text, for runs with the retrieval tool. */
  readonly retrieval: Retrieval;
  /** The assistant as the API returns it (with `file_ids`), or undefined. */
  getAssistant(id: string): AssistantObject | undefined;
  /** The File object, or undefined. */
  getFile(id: string): OpenAIFile | undefined;
  /** Called after `POST /_admin/reset` cleared the store (drop timers, caches). */
  onReset(listener: () => void | Promise<void>): void;
  /** Called when the server closes, before the store is closed. */
  onClose(listener: () => void | Promise<void>): void;
}
