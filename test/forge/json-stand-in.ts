/**
 * What the GitHub and GitLab stand-ins share: an HTTP server on a free loopback port that
 * reads a JSON body, records each request (without its token), and sends the answer its
 * subclass chooses. Subclasses implement the platform's endpoints.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  /** null: no body (204). */
  body?: unknown;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export function answer(status: number, body: unknown = null, headers: Record<string, string> = {}): Answer {
  return { status, body, headers };
}

export abstract class JsonStandIn {
  readonly requests: RecordedRequest[] = [];
  /** Answers given, in order, to the next authenticated requests (before any endpoint). */
  readonly script: Answer[] = [];
  url = '';
  #server: Server | null = null;

  /** The header that carries the token, left out of recorded requests. */
  protected abstract readonly tokenHeader: string;
  /** The answer to a body that is not JSON. */
  protected abstract invalidJson(): Answer;
  /** The answer to a request whose body parsed. */
  protected abstract route(req: IncomingMessage, url: URL, body: unknown): Answer;

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      void this.#answer(req).then(({ status, body, headers }) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(status === 204 || body === null || body === undefined ? undefined : JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  async #answer(req: IncomingMessage): Promise<Answer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = null;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        return this.invalidJson();
      }
    }
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({ method: req.method ?? '', path: `${url.pathname}${url.search}`, headers: { ...req.headers, [this.tokenHeader]: undefined }, body });
    return this.route(req, url, body);
  }
}
