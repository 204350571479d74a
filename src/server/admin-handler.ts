/**
 * One /_admin request: access checks (admin-access.ts), then the route; no latency, rate
 * limit or faults; a wrong method is a 405. With `admin: false` every path is a 404.
 */
import { checkAdminAccess } from './admin-access.js';
import type { App } from './app.js';
import type { ApiHandler } from './api-handler.js';
import { ApiError } from './errors.js';
import { sendJson } from './http.js';
import { answerFailure, runRoute } from './route-call.js';

export function createAdminHandler(app: App): ApiHandler {
  return async (req, res, url, exchange) => {
    const method = (req.method ?? 'GET').toUpperCase();
    try {
      if (!app.options.admin) throw new ApiError(404, `Invalid URL (${method} ${url.pathname})`);
      checkAdminAccess(req, app.options);
      const match = app.admin.match(method, url.pathname);
      if (match.kind === 'not-found') throw new ApiError(404, `Invalid URL (${method} ${url.pathname})`);
      if (match.kind === 'method-not-allowed') {
        throw new ApiError(405, `Invalid method for URL (${method} ${url.pathname})`, {
          headers: { allow: match.allowed.join(', ') },
        });
      }
      const result = await runRoute(app, match, req, res, url);
      await app.store.flush();
      sendJson(res, 200, result);
    } catch (caught) {
      answerFailure(caught, req, res, exchange, app.options.log);
    }
  };
}
