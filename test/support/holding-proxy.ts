/**
 * A proxy in front of a test server that holds one chosen request, so a test can act at a
 * known moment of a CLI run (kill it, start a second run against the lock it holds)
 * instead of guessing one with timers.
 *
 *   const proxy = await startHoldingProxy(new URL(server.url));   // remember: await proxy.close()
 *   const held = proxy.holdNext((req) => req.method === 'POST', 'request');
 *   ... run the CLI with --endpoint proxy.url ...
 *   const hold = await held;   // the request is being held now
 *   hold.release();            // optional: let it through (a killed client needs none)
 */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** `request`: not passed on yet; `response`: passed on (the server has done it), its answer kept back. */
export type Hold = 'request' | 'response';

export interface HeldRequest {
  /** Lets the held request through: passes it on (`request`) or sends its answer (`response`). */
  release: () => void;
}

export interface HoldingProxy {
  /** `http://127.0.0.1:PORT/v1` */
  url: string;
  /** Holds the next request `match` picks; resolves once it is held. */
  holdNext: (match: (req: IncomingMessage) => boolean, hold: Hold) => Promise<HeldRequest>;
  close: () => Promise<void>;
}

export async function startHoldingProxy(target: URL): Promise<HoldingProxy> {
  let armed: { match: (req: IncomingMessage) => boolean; hold: Hold; held: (hold: HeldRequest) => void } | null = null;

  const passOn = (req: IncomingMessage, onAnswer: (status: number, headers: IncomingHttpHeaders, body: Buffer) => void, res: ServerResponse): void => {
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.once('end', () => onAnswer(answer.statusCode ?? 502, answer.headers, Buffer.concat(chunks)));
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };
  const send = (res: ServerResponse, status: number, headers: IncomingHttpHeaders, body: Buffer): void => {
    if (res.destroyed) return; // the client is gone (killed while held)
    res.writeHead(status, headers);
    res.end(body);
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const holding = armed !== null && armed.match(req) ? armed : null;
    if (holding !== null) armed = null;
    if (holding === null) {
      passOn(req, (status, headers, body) => send(res, status, headers, body), res);
    } else if (holding.hold === 'request') {
      // Not read until released: the body waits in the socket.
      holding.held({ release: () => passOn(req, (status, headers, body) => send(res, status, headers, body), res) });
    } else {
      passOn(req, (status, headers, body) => holding.held({ release: () => send(res, status, headers, body) }), res);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    holdNext: (match, hold) => new Promise<HeldRequest>((resolve) => (armed = { match, hold, held: resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
