/**
 * A proxy in front of a test server that records each request (tests of what the CLI sends
 * and when), can answer one itself, and can hold the first assistant listing's answer.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Seen {
  url: string;
  /** Assistant listings already asked for (not yet answered or answered) when this one was answered. */
  askedBeforeAnswer: number;
}

/**
 * A proxy in front of the test server that records every request, can answer one itself
 * (`answer`), and can hold the answer to the first page until the pages after it were
 * asked for (`holdFirstPage`: proof that they were asked for ahead, with no timer to guess).
 */
export async function startProxy(target: string): Promise<{
  url: string;
  seen: Seen[];
  /** Answers each request `fake` returns an answer for, told how many times its URL was asked since. */
  answer: (fake: ((url: string, count: number) => { status: number; body: string } | null) | null) => void;
  holdFirstPage: (untilAsked: number) => void;
  close: () => Promise<void>;
}> {
  const origin = new URL(target);
  const seen: Seen[] = [];
  let fake: ((url: string, count: number) => { status: number; body: string } | null) | null = null;
  let hold: { untilAsked: number; release: () => void; waiting: Promise<void> } | null = null;
  const counts = new Map<string, number>();
  let asked = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '';
    const listing = req.method === 'GET' && /^\/v1\/assistants(\?|$)/.test(url);
    if (listing) asked += 1;
    const count = (counts.get(url) ?? 0) + 1;
    counts.set(url, count);
    const record = (): void => {
      seen.push({ url, askedBeforeAnswer: asked });
    };
    const faked = fake?.(url, count) ?? null;
    if (faked !== null) {
      record();
      res.writeHead(faked.status, { 'content-type': 'application/json' }).end(faked.body);
      return;
    }
    const upstream = request(
      { host: origin.hostname, port: origin.port, method: req.method, path: url, headers: req.headers },
      (answer) => {
        const send = (): void => {
          record();
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        };
        const first = listing && !url.includes('after=');
        if (first && hold !== null) {
          const held = hold;
          hold = null;
          // At most 5 s: a CLI that never asks ahead fails the test's count, not by hanging.
          void Promise.race([held.waiting, new Promise((resolve) => setTimeout(resolve, 5_000))]).then(send);
          if (asked >= held.untilAsked) held.release();
          else check = () => asked >= held.untilAsked && held.release();
        } else {
          send();
          check();
        }
      },
    );
    req.pipe(upstream);
    check();
  });
  let check: () => unknown = () => false;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    seen,
    answer: (f) => {
      fake = f;
      counts.clear();
    },
    holdFirstPage: (untilAsked) => {
      let release = (): void => {};
      const waiting = new Promise<void>((resolve) => {
        release = resolve;
      });
      asked = 0;
      hold = { untilAsked, release, waiting };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
