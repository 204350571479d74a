/**
 * `assistants serve` in-process: an Assistants-API-v1-compatible server on node:http.
 *
 *   const server = await startServer({ port: 0 });
 *   // server.url === 'http://127.0.0.1:PORT/v1'
 *   await server.close();
 *
 * The parts: options.ts (defaults and checks), app.ts (context, routers, counters),
 * api-handler.ts (the steps of a /v1 request), admin-handler.ts, http-server.ts (sockets).
 */
import { createAdminHandler } from './admin-handler.js';
import { createApiHandler } from './api-handler.js';
import { createApp } from './app.js';
import { listen } from './http-server.js';
import { resolveOptions, type ResolvedServerOptions, type ServerOptions } from './options.js';
import type { ServerStats } from './stats.js';
import { Store } from './store.js';

export type { ServerStats } from './stats.js';
export { DataInUseError, describeDataHolder, type DataHolder } from './data-lock.js';
export type { ServerContext } from './context.js';
export type { ChatModelOptions, ModelOptions, ServerOptions } from './options.js';
export { probeUpstream } from './upstream/probe.js';

export interface RunningServer {
  /** `http://HOST:PORT/v1` */
  url: string;
  port: number;
  close(): Promise<void>;
  stats(): ServerStats;
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const opts = resolveOptions(options);
  const store = await Store.open({ dataFile: opts.dataFile, holder: opts.holder, log: opts.log, repair: opts.repair });
  try {
    return await serve(opts, store);
  } catch (error) {
    // Release the data file (and its lock) so a retry can have it.
    await store.close();
    throw error;
  }
}

async function serve(options: ResolvedServerOptions, store: Store): Promise<RunningServer> {
  const app = await createApp(options, store);
  const closing = new AbortController();
  const listening = await listen(
    options.host,
    options.port,
    {
      api: createApiHandler(app, closing.signal),
      admin: createAdminHandler(app),
      log: options.log,
      logRequests: options.logRequests,
    },
    closing,
  ).catch(async (error: unknown) => {
    await app.close();
    throw error;
  });
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${hostForUrl}:${listening.port}/v1`,
    port: listening.port,
    stats: () => app.stats.snapshot(),
    close: () =>
      (closed ??= (async () => {
        await listening.close();
        await app.close();
        await store.close();
      })()),
  };
}
