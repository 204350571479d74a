/**
 * `assistants serve` in-process: an Assistants-API-v1-compatible server on node:http.
 *
 *   const server = await startServer({ port: 0 });
 *   // server.url === 'http://127.0.0.1:PORT/v1'
 *   await server.close();
 *
 * The parts: options.ts (defaults and checks), store/ (the embedded store, or PostgreSQL
 * for several replicas), app.ts (context, routers, counters, run engine), api-handler.ts
 * (the steps of a /v1 request), admin-handler.ts, ready-handler.ts, http-server.ts (sockets).
 */
import { setMaxListeners } from 'node:events';
import { createAdminHandler } from './admin-handler.js';
import { createApiHandler } from './api-handler.js';
import { createApp } from './app.js';
import { listen } from './http-server.js';
import { resolveOptions, type ResolvedServerOptions, type ServerOptions } from './options.js';
import { createReadyHandler } from './ready-handler.js';
import type { ServerStats } from './stats.js';
import { EmbeddedStore } from './store/embedded/embedded-store.js';
import type { ServerStore } from './store/store.js';

export type { ServerStats } from './stats.js';
export { DataInUseError, describeDataHolder, type DataHolder } from './store/embedded/data-lock.js';
export type { ServerContext } from './context.js';
export type { ChatModelOptions, DatabaseOptions, ModelOptions, ServerOptions } from './options.js';
export { probeUpstream } from './upstream/probe.js';

export interface RunningServer {
  /** `http://HOST:PORT/v1` */
  url: string;
  port: number;
  /**
   * Stops: no new connections, requests in flight answered, runs this server holds handed
   * back (PostgreSQL: other replicas carry them on), then the store closed.
   */
  close(): Promise<void>;
  stats(): ServerStats;
}

/** Opens the store the options name: PostgreSQL (loaded only then) or the embedded one. */
async function openStore(options: ResolvedServerOptions): Promise<ServerStore> {
  if (options.database !== undefined) {
    const { PgStore } = await import('./store/postgres/pg-store.js');
    return PgStore.open({ ...options.database, leaseMs: options.runLeaseMs, log: options.log });
  }
  return EmbeddedStore.open({ dataFile: options.dataFile, holder: options.holder, log: options.log, repair: options.repair });
}

/**
 * Applies the migrations a PostgreSQL schema lacks (`serve --migrate`) and returns the
 * versions applied; throws for a schema newer than this version knows.
 */
export async function migrateDatabase(options: Required<Pick<ServerOptions, 'database'>>): Promise<number[]> {
  const resolved = resolveOptions(options);
  const { migrateDatabase: migrate } = await import('./store/postgres/pg-store.js');
  if (resolved.database === undefined) return [];
  return migrate(resolved.database);
}

/** How long a replica that stops relays its streams, which other replicas' runs feed, before it cuts them off. */
const STREAMS_GRACE_MS = 10_000;

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const opts = resolveOptions(options);
  const store = await openStore(opts);
  try {
    return await serve(opts, store);
  } catch (error) {
    // Release the data file (and its lock) so a retry can have it.
    await store.close();
    throw error;
  }
}

async function serve(options: ResolvedServerOptions, store: ServerStore): Promise<RunningServer> {
  const app = await createApp(options, store);
  const closing = new AbortController();
  // Every request waiting out --latency-ms listens on it: many listeners are the design, not a leak.
  setMaxListeners(0, closing.signal);
  const ready = createReadyHandler(app, closing.signal);
  const listening = await listen(
    options.host,
    options.port,
    {
      api: createApiHandler(app, closing.signal),
      admin: createAdminHandler(app),
      ready,
      log: options.log,
      logRequests: options.logRequests,
    },
    closing,
  ).catch(async (error: unknown) => {
    await app.drain();
    await app.close();
    throw error;
  });
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${hostForUrl}:${listening.port}/v1`,
    port: listening.port,
    stats: () => app.snapshot(),
    close: () =>
      (closed ??= (async () => {
        if (store.shared) {
          // Other replicas carry this one's runs on at once; its streams relay what they write.
          closing.abort();
          await app.drain();
          await listening.close(STREAMS_GRACE_MS);
        } else {
          // The only server: its runs go on until the requests in flight are answered (streams are cut off).
          await listening.close();
          await app.drain();
        }
        await app.close();
        await store.close();
      })()),
  };
}
