/**
 * What the /v1 and /_admin handlers share: calling a matched route with its parsed body,
 * and answering whatever it threw.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from './app.js';
import { ApiError, internalError } from './errors.js';
import { parseJsonBody, readBody, sendError } from './http.js';
import type { RequestContext, RouteMatch } from './router.js';

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

/**
 * Answers an ApiError as itself and anything else as a logged 500; returns the outcome
 * to count (`"client-gone"` or the status).
 */
export function answerFailure(caught: unknown, req: IncomingMessage, res: ServerResponse): string {
  // A client that went away mid-request is not a server fault: nothing to log or answer.
  if (req.destroyed && !(caught instanceof ApiError)) {
    res.destroy();
    return 'client-gone';
  }
  const error = caught instanceof ApiError ? caught : internalError();
  if (!(caught instanceof ApiError)) process.stderr.write(`assistants serve: ${describeError(caught)}\n`);
  if (res.headersSent) {
    res.destroy();
  } else {
    if (error.status === 413) res.setHeader('connection', 'close');
    sendError(res, error);
  }
  return String(error.status);
}

export function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
