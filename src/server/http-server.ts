/**
 * The node:http side: the common response headers, dispatch to /v1 or /_admin, a 400 for
 * malformed HTTP, listening, and a close that lets requests in flight finish.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiHandler } from './api-handler.js';
import { ApiError } from './errors.js';
import { beginExchange, describeError, logWhenDone, type LogLine } from './exchange.js';
import { sendError } from './http.js';
import type { ReadyHandler } from './ready-handler.js';

export interface Handlers {
  api: ApiHandler;
  admin: ApiHandler;
  ready: ReadyHandler;
  log: LogLine;
  logRequests: boolean;
}

export interface Listening {
  port: number;
  /**
   * Stops accepting, waits for requests in flight, then closes every connection. With
   * `streamsMs`, event streams under way may also run on that long (a replica that stops
   * relays what another replica writes until its streams end); else they are cut off.
   */
  close(streamsMs?: number): Promise<void>;
}

async function dispatch(handlers: Handlers, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let url: URL | undefined;
  try {
    url = new URL(req.url ?? '/', 'http://localhost');
  } catch {
    // Answered below, once the exchange exists.
  }
  const exchange = beginExchange(req, url?.pathname ?? req.url ?? '');
  if (handlers.logRequests) logWhenDone(exchange, res, handlers.log);
  res.setHeader('x-request-id', exchange.id);
  res.setHeader('openai-version', '2020-10-01');
  const originalWriteHead = res.writeHead.bind(res);
  // The processing time is known only when the head goes out.
  res.writeHead = ((...args: Parameters<ServerResponse['writeHead']>) => {
    if (!res.headersSent) res.setHeader('openai-processing-ms', String(Math.round(performance.now() - exchange.started)));
    return originalWriteHead(...args);
  }) as ServerResponse['writeHead'];
  if (!url) {
    sendError(res, new ApiError(400, `Invalid URL (${exchange.method} ${exchange.path})`));
    return;
  }
  if (url.pathname === '/v1' || url.pathname.startsWith('/v1/')) return handlers.api(req, res, url, exchange);
  if (url.pathname.startsWith('/_admin/')) return handlers.admin(req, res, url, exchange);
  if (url.pathname === '/readyz') return handlers.ready(req, res);
  sendError(res, new ApiError(404, `Invalid URL (${exchange.method} ${url.pathname})`));
}

export async function listen(host: string, port: number, handlers: Handlers, closing: AbortController): Promise<Listening> {
  const inFlight = new Set<Promise<void>>();
  /** Event streams still writing, each until its response closes. */
  const streams = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const done = dispatch(handlers, req, res).catch((error: unknown) => {
      handlers.log(`assistants serve: ${describeError(error)}`);
      res.destroy();
    });
    inFlight.add(done);
    void done.finally(() => {
      inFlight.delete(done);
      if (res.writableEnded || res.destroyed || !String(res.getHeader('content-type') ?? '').startsWith('text/event-stream')) return;
      const stream = new Promise<void>((resolve) => res.once('close', resolve));
      streams.add(stream);
      void stream.then(() => streams.delete(stream));
    });
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
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async (streamsMs) => {
      closing.abort();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.allSettled([...inFlight]);
      if (streamsMs !== undefined && streams.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.allSettled([...streams]), new Promise((resolve) => (timer = setTimeout(resolve, streamsMs)))]);
        clearTimeout(timer);
      }
      server.closeAllConnections();
      await stopped;
    },
  };
}
