/**
 * Who may call /_admin: it can wipe a persisted server, so a web page must not reach it.
 * - Host must name this server as only the machine itself can: an IP address, `localhost`
 *   (or `*.localhost`), or the `--host` it was started with. Any other name is how DNS
 *   rebinding gets a page's requests to a local port (`evil.example` -> 127.0.0.1).
 * - A cross-site request is refused: an `Origin` other than this server's own (`null`
 *   included), or `Sec-Fetch-Site` other than `same-origin` or `none`. Browsers send these
 *   even on a `no-cors` POST, which needs no preflight.
 * - With an API key set, the same bearer key as /v1.
 * The port is not compared: behind a port mapping (`docker run -p 9000:8787`) the Host
 * names the outer one.
 *
 * /v1 without an API key gets the same Host rule: any non-empty bearer key is accepted
 * then, and a rebound page is same-origin, so it could send one without a preflight and
 * read or delete every assistant. With a key set, the key is the protection and any
 * name may reach the server (a Docker service name, a proxy).
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { authenticate } from './auth.js';
import { ApiError } from './errors.js';

/** `example.com:80` -> `example.com`; `[::1]:80` -> `::1`. */
function hostName(host: string): string {
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(host);
  if (bracketed) return bracketed[1] ?? '';
  const colon = host.lastIndexOf(':');
  return (colon >= 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host).toLowerCase();
}

function isOwnName(name: string, boundHost: string): boolean {
  return isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost') || name === boundHost.toLowerCase();
}

function refused(message: string, code: string): ApiError {
  return new ApiError(403, message, { code });
}

/** The value of a header sent once, for a message: bounded, so a long value is not echoed whole. */
function shown(value: string): string {
  return value.length > 100 ? `${value.slice(0, 100)}…` : value;
}

/** Whether the request's Host (when it sends one) names this server as only the machine itself can. */
function addressedToThisMachine(req: IncomingMessage, boundHost: string): boolean {
  const host = req.headers.host;
  return host === undefined || isOwnName(hostName(host), boundHost);
}

/** Throws 403 when a server without an API key is reached by a name that is not its own. */
export function checkApiHost(req: IncomingMessage, options: { host: string; apiKey: string | undefined }): void {
  if (options.apiKey !== undefined || addressedToThisMachine(req, options.host)) return;
  throw refused(
    `This server has no --api-key, so it answers only requests addressed to this machine, not to '${shown(req.headers.host ?? '')}': use http://127.0.0.1 or http://localhost, or start it with --api-key to reach it by another name (DNS rebinding protection).`,
    'host_not_allowed',
  );
}

/** Throws 403 (foreign Host, cross-site) or 401 (key) unless this request may use /_admin. */
export function checkAdminAccess(req: IncomingMessage, options: { host: string; apiKey: string | undefined }): void {
  const host = req.headers.host;
  if (!addressedToThisMachine(req, options.host)) {
    throw refused(
      `The admin endpoints answer only requests addressed to this machine, not to '${shown(host ?? '')}': use http://127.0.0.1 or http://localhost (DNS rebinding protection).`,
      'host_not_allowed',
    );
  }
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  if ((origin !== undefined && origin !== `http://${host ?? ''}`) || (site !== undefined && site !== 'same-origin' && site !== 'none')) {
    throw refused(
      `The admin endpoints refuse cross-site requests (Origin '${shown(origin ?? site ?? '')}'): call them from a script or the command line, not from a web page.`,
      'cross_site_request',
    );
  }
  if (options.apiKey !== undefined) authenticate(req, options.apiKey);
}
