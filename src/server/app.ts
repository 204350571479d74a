/**
 * The server's parts, before any socket: the context route modules share, the /v1 and
 * /_admin routers, the counters, the run engine, and what reset and close must tell the
 * route modules.
 */
import type { ServerContext } from './context.js';
import type { ResolvedServerOptions } from './options.js';
import { Retrieval } from './retrieval/retrieval.js';
import { Router } from './router.js';
import { StatsCounter, type ServerStats } from './stats.js';
import type { ServerStore } from './store/store.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerAssistantRoutes } from './routes/assistants.js';
import { registerFileRoutes } from './routes/files.js';
import type { RunEngine } from './threads/engine.js';
import { registerThreadRoutes } from './threads/routes.js';

export interface App {
  readonly ctx: ServerContext;
  readonly options: ResolvedServerOptions;
  readonly store: ServerStore;
  readonly stats: StatsCounter;
  readonly engine: RunEngine;
  readonly api: Router;
  readonly admin: Router;
  /** What /_admin/stats answers: this server's counters, its runs and its store. */
  snapshot(): ServerStats;
  /** Stops claiming runs and hands back the ones held (SIGTERM); requests may still be answered. */
  drain(): Promise<void>;
  /** Stops the route modules' timers; the store is closed by the caller. */
  close(): Promise<void>;
}

export async function createApp(options: ResolvedServerOptions, store: ServerStore): Promise<App> {
  const closeListeners: Array<() => void | Promise<void>> = [];
  const retrieval = new Retrieval({ files: store.files, reader: store.read, shared: store.shared }, options.retrieval, options.log);
  const ctx: ServerContext = {
    store,
    options,
    retrieval,
    onReset: (listener) => store.onReset(listener),
    onClose: (listener) => closeListeners.push(listener),
  };

  // Before any route: runs resumed by the engine search a complete index (a shared store's index fills as runs need it).
  if (store.disk !== undefined) await retrieval.load(await store.read.list('files'), store.disk);
  const stats = new StatsCounter();
  store.onReset(() => {
    retrieval.clear();
    stats.reset();
  });
  const api = new Router();
  registerAssistantRoutes(api, ctx);
  registerFileRoutes(api, ctx);
  const engine = await registerThreadRoutes(api, ctx);

  const snapshot = (): ServerStats => ({ ...stats.snapshot(), objects: store.objectCounts(), runs: engine.stats(), store: store.stats() });
  const admin = new Router();
  registerAdminRoutes(admin, {
    stats: async () => {
      await store.countObjects();
      return snapshot();
    },
    reset: () => store.reset(),
  });

  return {
    ctx,
    options,
    store,
    stats,
    engine,
    api,
    admin,
    snapshot,
    drain: () => engine.drain(),
    close: async () => {
      for (const listener of closeListeners) await listener();
    },
  };
}
