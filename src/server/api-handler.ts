/**
 * One /v1 request, step by step: latency -> Host (no key set) -> auth -> rate limit -> fault (before) ->
 * route (404, for a wrong method too) -> beta header -> body (413/400) -> handler ->
 * store flush -> fault (drop after processing) -> response. Auth comes first so that
 * requests without the key spend neither the client's rate budget nor its faults.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkApiHost } from './admin-access.js';
import type { App } from './app.js';
import { authenticate, requireBeta } from './auth.js';
import { ApiError } from './errors.js';
import type { Exchange } from './exchange.js';
import { FaultInjector, faultError, type Fault } from './faults.js';
import { sendJson } from './http.js';
import { RateLimiter } from './rate-limit.js';
import { RESPONDED } from './router.js';
import { answerFailure, runRoute } from './route-call.js';

export type ApiHandler = (req: IncomingMessage, res: ServerResponse, url: URL, exchange: Exchange) => Promise<void>;

export function createApiHandler(app: App, closing: AbortSignal): ApiHandler {
  const { options, stats, store } = app;
  const limiter = options.rateLimit === undefined ? undefined : new RateLimiter(options.rateLimit);
  const faults = options.faultRate > 0 ? new FaultInjector(options.faultRate, options.faultSeed) : undefined;
  const pause = (ms: number): Promise<unknown> => sleep(ms, undefined, { signal: closing }).catch(() => undefined);

  /** The rate limit's verdict; its headers go on the response either way. */
  const admit = (res: ServerResponse): void => {
    if (!limiter) return;
    const decision = limiter.take();
    if (!decision.ok) {
      stats.rateLimited();
      throw decision.error;
    }
    for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
  };

  /** A fault that acts before processing; false when a stalled client left (nothing more to do). */
  const faultBefore = async (fault: Fault | undefined, res: ServerResponse, exchange: Exchange): Promise<boolean> => {
    if (fault?.kind === 'status') {
      stats.fault('errors');
      throw faultError(fault.status);
    }
    if (fault?.kind === 'stall') {
      stats.fault('stalls');
      await pause(options.stallMs);
      // A client that gave up gets nothing processed on its behalf.
      if (res.destroyed || closing.aborted) {
        exchange.outcome = 'stalled';
        stats.status('stalled');
        return false;
      }
    }
    return true;
  };

  return async (req, res, url, exchange) => {
    const method = (req.method ?? 'GET').toUpperCase();
    stats.request();
    if (options.latencyMs > 0) await pause(options.latencyMs);
    try {
      checkApiHost(req, options);
      authenticate(req, options.apiKey);
      admit(res);
      const fault = faults?.next();
      if (!(await faultBefore(fault, res, exchange))) return;
      const match = app.api.match(method, url.pathname);
      // The API answers a wrong method like an unknown path: 404 `Invalid URL (GET /v1/...)`.
      if (match.kind !== 'found') throw new ApiError(404, `Invalid URL (${method} ${url.pathname})`);
      stats.route(`${method} ${match.route.pattern}`);
      if (match.route.options.beta) requireBeta(req);
      const generation = store.generation;
      const result = await runRoute(app, match, req, res, url);
      await store.flush();
      // A failed write undid what this request changed or read: it must not be acknowledged.
      const undone = store.rolledBackSince(generation);
      if (undone && result !== RESPONDED) throw undone;
      if (fault?.kind === 'drop') {
        // The change is durable; the client never learns it happened.
        stats.fault('drops');
        exchange.outcome = 'dropped';
        stats.status('dropped');
        res.socket?.destroy();
        return;
      }
      if (result === RESPONDED) {
        stats.status(String(res.statusCode));
        return;
      }
      stats.status('200');
      sendJson(res, 200, result);
    } catch (caught) {
      stats.status(answerFailure(caught, req, res, exchange, options.log));
    }
  };
}
