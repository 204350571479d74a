/**
 * `assistants serve` in-process: an Assistants-API-v1-compatible server on node:http.
 *
 *   const server = await startServer({ port: 0 });
 *   // server.url === 'http://127.0.0.1:PORT/v1'
 *   await server.close();
 *
 * Every /v1 request goes through: latency -> rate limit -> fault (before) -> auth ->
 * route (404, for a wrong method too) -> beta header -> body (413/400) -> handler -> store flush ->
 * fault (drop after processing) -> response. /_admin routes skip all of it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import type { ResolvedServerOptions, ServerContext } from './context.js';
import { authenticate, requireBeta } from './auth.js';
import { ApiError, internalError } from './errors.js';
import { FaultInjector, faultError } from './faults.js';
import { parseJsonBody, readBody, sendError, sendJson } from './http.js';
import { RateLimiter } from './rate-limit.js';
import { RESPONDED, Router, type RequestContext, type Route } from './router.js';
import { Store } from './store.js';
import { emptyStats, registerAdminRoutes, type ServerStats } from './routes/admin.js';
import { assistantToWire, registerAssistantRoutes } from './routes/assistants.js';
import { fileCollection, registerFileRoutes } from './routes/files.js';
import { registerThreadRoutes } from './threads/routes.js';

export type { ServerStats } from './routes/admin.js';
export type { ServerContext } from './context.js';

export interface ServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Persist to this file (a JSON-lines journal); in memory when absent. */
  dataFile?: string;
  /** Accept only this bearer key; without it any non-empty key is accepted. */
  apiKey?: string;
  /** Added to every /v1 response. */
  latencyMs?: number;
  /** Requests per second (token bucket); 429 beyond. */
  rateLimit?: number;
  /** Share of /v1 requests that get an injected fault, 0..1. */
  faultRate?: number;
  /** Seed of the fault sequence (default 1). */
  faultSeed?: number;
  /** How long a stall fault holds a request (default 3000 ms). */
  stallMs?: number;
  /** Largest JSON body (default 32 MiB); 413 beyond. */
  maxBodyBytes?: number;
  /** Largest upload to /v1/files (default 512 MB, the API's own limit); 413 beyond. */
  maxUploadBytes?: number;
  /** Delay between two phases of a run (default 25 ms), so pollers see queued and in_progress. */
  runStepMs?: number;
  /** How long a run waits for tool outputs before it expires (default 600 s, as the API). */
  runExpiresAfterSeconds?: number;
}

export interface RunningServer {
  /** `http://HOST:PORT/v1` */
  url: string;
  port: number;
  close(): Promise<void>;
  stats(): ServerStats;
}

function resolveOptions(options: ServerOptions): ResolvedServerOptions {
  const check = (ok: boolean, message: string): void => {
    if (!ok) throw new RangeError(message);
  };
  const resolved: ResolvedServerOptions = {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    dataFile: options.dataFile,
    apiKey: options.apiKey,
    latencyMs: options.latencyMs ?? 0,
    rateLimit: options.rateLimit,
    faultRate: options.faultRate ?? 0,
    faultSeed: options.faultSeed ?? 1,
    stallMs: options.stallMs ?? 3000,
    maxBodyBytes: options.maxBodyBytes ?? 32 * 1024 * 1024,
    maxUploadBytes: options.maxUploadBytes ?? 512 * 1000 * 1000,
    runStepMs: options.runStepMs ?? 25,
    runExpiresAfterSeconds: options.runExpiresAfterSeconds ?? 600,
  };
  check(Number.isInteger(resolved.port) && resolved.port >= 0 && resolved.port <= 65535, 'port must be an integer 0..65535');
  check(resolved.latencyMs >= 0, 'latencyMs must be >= 0');
  check(resolved.rateLimit === undefined || resolved.rateLimit > 0, 'rateLimit must be > 0');
  check(resolved.faultRate >= 0 && resolved.faultRate <= 1, 'faultRate must be between 0 and 1');
  check(Number.isInteger(resolved.faultSeed), 'faultSeed must be an integer');
  check(resolved.stallMs >= 0, 'stallMs must be >= 0');
  check(resolved.maxBodyBytes > 0 && resolved.maxUploadBytes > 0, 'body limits must be > 0');
  check(resolved.apiKey === undefined || resolved.apiKey !== '', 'apiKey must not be empty');
  check(resolved.runStepMs >= 0, 'runStepMs must be >= 0');
  check(Number.isInteger(resolved.runExpiresAfterSeconds) && resolved.runExpiresAfterSeconds > 0, 'runExpiresAfterSeconds must be a positive integer');
  return resolved;
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const opts = resolveOptions(options);
  const store = await Store.open({ dataFile: opts.dataFile });
  try {
    return await serve(opts, store);
  } catch (error) {
    // Release the data file (and its lock) so a retry can have it.
    await store.close();
    throw error;
  }
}

async function serve(opts: ResolvedServerOptions, store: Store): Promise<RunningServer> {
  const resetListeners: Array<() => void | Promise<void>> = [];
  const closeListeners: Array<() => void | Promise<void>> = [];
  const ctx: ServerContext = {
    store,
    options: opts,
    getAssistant: (id) => assistantToWire(store, id),
    getFile: (id) => fileCollection(store).get(id),
    onReset: (listener) => resetListeners.push(listener),
    onClose: (listener) => closeListeners.push(listener),
  };

  const api = new Router();
  registerAssistantRoutes(api, ctx);
  registerFileRoutes(api, ctx);
  registerThreadRoutes(api, ctx);
  const files = fileCollection(store);
  await store.pruneBlobs((id) => files.has(id));

  let stats = emptyStats();
  const admin = new Router();
  registerAdminRoutes(admin, {
    stats: () => structuredClone(stats),
    reset: async () => {
      await store.reset();
      for (const listener of resetListeners) await listener();
      stats = emptyStats();
    },
  });

  const limiter = opts.rateLimit === undefined ? undefined : new RateLimiter(opts.rateLimit);
  const faults = opts.faultRate > 0 ? new FaultInjector(opts.faultRate, opts.faultSeed) : undefined;
  const closing = new AbortController();
  const inFlight = new Set<Promise<void>>();

  const count = (key: string): void => {
    stats.byStatus[key] = (stats.byStatus[key] ?? 0) + 1;
  };

  async function runRoute(route: Route, params: Record<string, string>, req: IncomingMessage, res: ServerResponse, url: URL): Promise<unknown> {
    let body: unknown;
    if (!route.options.rawBody) {
      const raw = await readBody(req, opts.maxBodyBytes);
      // The SDK sends `Content-Type: application/json` on GET and DELETE too; only POST bodies count.
      if (req.method === 'POST') body = parseJsonBody(raw);
    }
    const request: RequestContext = {
      method: route.method,
      path: url.pathname,
      route: route.pattern,
      params,
      query: url.searchParams,
      body,
      headers: req.headers,
      req,
      res,
      server: ctx,
    };
    return route.handler(request);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    stats.requests++;
    if (opts.latencyMs > 0) await sleep(opts.latencyMs, undefined, { signal: closing.signal }).catch(() => undefined);
    let dropAfter = false;
    try {
      if (limiter) {
        const decision = limiter.take();
        if (!decision.ok) {
          stats.rateLimited++;
          throw decision.error;
        }
        for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
      }
      const fault = faults?.next();
      if (fault?.kind === 'status') {
        stats.faults.errors++;
        throw faultError(fault.status);
      }
      if (fault?.kind === 'stall') {
        stats.faults.stalls++;
        await sleep(opts.stallMs, undefined, { signal: closing.signal }).catch(() => undefined);
        // A client that gave up gets nothing processed on its behalf.
        if (req.destroyed || res.destroyed || closing.signal.aborted) {
          count('stalled');
          return;
        }
      }
      dropAfter = fault?.kind === 'drop';
      authenticate(req, opts.apiKey);
      const match = api.match(method, url.pathname);
      // The API answers a wrong method like an unknown path: 404 `Invalid URL (GET /v1/...)`.
      if (match.kind !== 'found') throw new ApiError(404, `Invalid URL (${method} ${url.pathname})`);
      const key = `${method} ${match.route.pattern}`;
      stats.byRoute[key] = (stats.byRoute[key] ?? 0) + 1;
      if (match.route.options.beta) requireBeta(req);
      const result = await runRoute(match.route, match.params, req, res, url);
      await store.flush();
      if (dropAfter) {
        // The change is durable; the client never learns it happened.
        stats.faults.drops++;
        count('dropped');
        res.socket?.destroy();
        return;
      }
      if (result === RESPONDED) {
        count(String(res.statusCode));
        return;
      }
      count('200');
      sendJson(res, 200, result);
    } catch (caught) {
      // A client that went away mid-request is not a server fault: nothing to log or answer.
      if (req.destroyed && !(caught instanceof ApiError)) {
        count('client-gone');
        res.destroy();
        return;
      }
      const error = caught instanceof ApiError ? caught : internalError();
      if (!(caught instanceof ApiError)) process.stderr.write(`assistants serve: ${describeError(caught)}\n`);
      count(String(error.status));
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error.status === 413) res.setHeader('connection', 'close');
      sendError(res, error);
    }
  }

  async function handleAdmin(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    try {
      const match = admin.match(method, url.pathname);
      if (match.kind === 'not-found') throw new ApiError(404, `Invalid URL (${method} ${url.pathname})`);
      if (match.kind === 'method-not-allowed') {
        throw new ApiError(405, `Invalid method for URL (${method} ${url.pathname})`, {
          headers: { allow: match.allowed.join(', ') },
        });
      }
      const result = await runRoute(match.route, match.params, req, res, url);
      await store.flush();
      sendJson(res, 200, result);
    } catch (caught) {
      if (!(caught instanceof ApiError)) process.stderr.write(`assistants serve: ${describeError(caught)}\n`);
      sendError(res, caught instanceof ApiError ? caught : internalError());
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    res.setHeader('x-request-id', `req_${randomBytes(16).toString('hex')}`);
    res.setHeader('openai-version', '2020-10-01');
    const originalWriteHead = res.writeHead.bind(res);
    // The processing time is known only when the head goes out.
    res.writeHead = ((...args: Parameters<ServerResponse['writeHead']>) => {
      if (!res.headersSent) res.setHeader('openai-processing-ms', String(Math.round(performance.now() - started)));
      return originalWriteHead(...args);
    }) as ServerResponse['writeHead'];
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      sendError(res, new ApiError(400, `Invalid URL (${req.method ?? ''} ${req.url ?? ''})`));
      return;
    }
    if (url.pathname === '/v1' || url.pathname.startsWith('/v1/')) return handleApi(req, res, url);
    if (url.pathname.startsWith('/_admin/')) return handleAdmin(req, res, url);
    sendError(res, new ApiError(404, `Invalid URL (${req.method ?? 'GET'} ${url.pathname})`));
  }

  const server = createServer((req, res) => {
    const done = handle(req, res).catch((error: unknown) => {
      process.stderr.write(`assistants serve: ${describeError(error)}\n`);
      res.destroy();
    });
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  });
  // A client error (a malformed request line) gets a 400, not a silent close.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) {
      const body = JSON.stringify(new ApiError(400, 'Malformed HTTP request.').toBody());
      socket.end(
        `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    } else {
      socket.destroy();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${hostForUrl}:${port}/v1`,
    port,
    stats: () => structuredClone(stats),
    close: () =>
      (closed ??= (async () => {
        closing.abort();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await Promise.allSettled([...inFlight]);
        server.closeAllConnections();
        await stopped;
        for (const listener of closeListeners) await listener();
        await store.close();
      })()),
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
