/**
 * The server's parts, before any socket: the context route modules share, the /v1 and
 * /_admin routers, the counters, and what reset and close must tell the route modules.
 */
import type { ServerContext } from './context.js';
import type { ResolvedServerOptions } from './options.js';
import { Retrieval } from './retrieval/retrieval.js';
import { Router } from './router.js';
import { StatsCounter } from './stats.js';
import type { Store } from './store.js';
import { registerAdminRoutes } from './routes/admin.js';
import { assistantToWire, registerAssistantRoutes } from './routes/assistants.js';
import { fileCollection, registerFileRoutes } from './routes/files.js';
import { registerThreadRoutes } from './threads/routes.js';

export interface App {
  readonly ctx: ServerContext;
  readonly options: ResolvedServerOptions;
  readonly store: Store;
  readonly stats: StatsCounter;
  readonly api: Router;
  readonly admin: Router;
  /** Stops the route modules' timers; the store is closed by the caller. */
  close(): Promise<void>;
}

export async function createApp(options: ResolvedServerOptions, store: Store): Promise<App> {
  const resetListeners: Array<() => void | Promise<void>> = [];
  const closeListeners: Array<() => void | Promise<void>> = [];
  const retrieval = new Retrieval(store.blobs, options.retrieval, options.log);
  const ctx: ServerContext = {
    store,
    options,
    retrieval,
    getAssistant: (id) => assistantToWire(store, id),
    getFile: (id) => fileCollection(store).get(id),
    onReset: (listener) => resetListeners.push(listener),
    onClose: (listener) => closeListeners.push(listener),
  };

  // Before any route: runs resumed by the thread routes search a complete index.
  const files = fileCollection(store);
  await store.pruneBlobs((id) => files.has(id));
  await retrieval.load(files.all());
  const api = new Router();
  registerAssistantRoutes(api, ctx);
  registerFileRoutes(api, ctx);
  registerThreadRoutes(api, ctx);

  const stats = new StatsCounter(() => ({
    assistants: store.collection('assistants').size,
    files: files.size,
    threads: store.collection('threads').size,
    messages: store.collection('messages').size,
    runs: store.collection('runs').size,
  }));
  const admin = new Router();
  registerAdminRoutes(admin, {
    stats: () => stats.snapshot(),
    reset: async () => {
      await store.reset();
      retrieval.clear();
      for (const listener of resetListeners) await listener();
      stats.reset();
    },
  });

  return {
    ctx,
    options,
    store,
    stats,
    api,
    admin,
    close: async () => {
      for (const listener of closeListeners) await listener();
    },
  };
}
