/**
 * `GET /readyz`: whether a load balancer should send this server requests. 200
 * `{"status":"ready","store":"postgres"}` when the store answers (a `SELECT 1` with
 * PostgreSQL) within READY_TIMEOUT_MS; else 503 in the API's error shape, with `code`
 * `store_unavailable`, or `shutting_down` once the server stops (SIGTERM). It needs no
 * key (probes seldom send one) and tells nothing but that.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from './app.js';
import { ApiError } from './errors.js';
import { sendError, sendJson } from './http.js';

const READY_TIMEOUT_MS = 2_000;

export type ReadyHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function createReadyHandler(app: App, closing: AbortSignal): ReadyHandler {
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendError(res, new ApiError(405, `Invalid method for URL (${req.method ?? ''} /readyz)`, { headers: { allow: 'GET, HEAD' } }));
    }
    if (closing.aborted) return sendError(res, notReady('The server is shutting down.', 'shutting_down'));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        app.store.check(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      return sendError(res, notReady(`The store does not answer: ${error instanceof Error ? error.message : String(error)}`, 'store_unavailable'));
    } finally {
      clearTimeout(timer);
    }
    sendJson(res, 200, { status: 'ready', store: app.store.kind });
  };
}

function notReady(message: string, code: string): ApiError {
  return new ApiError(503, message, { type: 'server_error', code, headers: { 'retry-after': '1' } });
}
