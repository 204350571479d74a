/**
 * What the /v1 and /_admin handlers share: calling a matched route with its parsed body,
 * and answering whatever it threw.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from './app.js';
import { ApiError, changeNotSaved, internalError, storeUnavailable } from './errors.js';
import { failureLine, type Exchange, type LogLine } from './exchange.js';
import { parseJsonBody, readBody, sendError } from './http.js';
import type { RequestContext, RouteMatch } from './router.js';
import { PersistenceError } from './store/embedded/journal-store.js';
import { StoreUnavailable } from './store/store.js';

/** Reads and parses the body (unless the route streams it) and calls the handler. */
export async function runRoute(
  app: App,
  match: Extract<RouteMatch, { kind: 'found' }>,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<unknown> {
  const { route, params } = match;
  let body: unknown;
  if (!route.options.rawBody) {
    const raw = await readBody(req, app.options.maxBodyBytes);
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
    server: app.ctx,
  };
  return route.handler(request);
}

/** Errors that only say the client went away while its request was read or answered. */
function isClientAbort(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (
    (error instanceof Error && error.message === 'aborted') ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE'
  );
}

/**
 * Answers an ApiError as itself, a change that could not be saved as a 500 that says
 * so, and anything else as the API's 500; the last two are logged with the request id.
 * Returns the outcome to count (`"client-gone"` or the status).
 */
export function answerFailure(caught: unknown, req: IncomingMessage, res: ServerResponse, exchange: Exchange, log: LogLine): string {
  // A client that went away mid-request is not a server fault: nothing to answer.
  if (res.destroyed && (caught instanceof ApiError || isClientAbort(caught))) {
    exchange.outcome = 'client-gone';
    return exchange.outcome;
  }
  let error: ApiError;
  if (caught instanceof ApiError) {
    error = caught;
  } else if (caught instanceof StoreUnavailable) {
    // Not logged per request: the store logs when the database goes and comes back.
    error = storeUnavailable();
  } else {
    const persistence = caught instanceof PersistenceError;
    error = persistence ? changeNotSaved(caught.reason) : internalError();
    log(failureLine(exchange, error.status, persistence ? caught.reason : caught));
  }
  if (res.headersSent || res.destroyed) {
    // Part of an answer (a stream) is out: all the client can learn is that it broke off.
    res.destroy();
  } else {
    // A body left unread (413, a malformed upload) is not waited for: the connection closes.
    if (!req.complete) res.setHeader('connection', 'close');
    sendError(res, error);
  }
  return String(error.status);
}
