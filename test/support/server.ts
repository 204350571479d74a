/**
 * Start a local API server for a test, on a free port.
 *
 *   const server = await startTestServer();           // remember: await server.close()
 *   await withServer({ apiKey: 'k' }, async ({ url }) => { ... });   // closes for you
 *
 * `url` is `http://127.0.0.1:PORT/v1`; `origin` is `http://127.0.0.1:PORT` (for /_admin);
 * `headers` carry a bearer key and the v1 beta header.
 */
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/index.js';

export const TEST_API_KEY = 'sk-test-0123456789abcdefghijklmnop';

export interface TestServer extends RunningServer {
  origin: string;
  apiKey: string;
  /** Authorization (bearer) and `OpenAI-Beta: assistants=v1`, plus JSON content type. */
  headers: Record<string, string>;
}

export async function startTestServer(options: ServerOptions = {}): Promise<TestServer> {
  const server = await startServer({ port: 0, ...options });
  const apiKey = options.apiKey ?? TEST_API_KEY;
  return {
    ...server,
    close: () => server.close(),
    stats: () => server.stats(),
    origin: server.url.replace(/\/v1$/, ''),
    apiKey,
    headers: {
      authorization: `Bearer ${apiKey}`,
      'openai-beta': 'assistants=v1',
      'content-type': 'application/json',
    },
  };
}

export async function withServer<T>(
  options: ServerOptions,
  run: (server: TestServer) => Promise<T>,
): Promise<T>;
export async function withServer<T>(run: (server: TestServer) => Promise<T>): Promise<T>;
export async function withServer<T>(
  first: ServerOptions | ((server: TestServer) => Promise<T>),
  second?: (server: TestServer) => Promise<T>,
): Promise<T> {
  const options = typeof first === 'function' ? {} : first;
  const run = typeof first === 'function' ? first : second;
  if (!run) throw new TypeError('withServer needs a function to run');
  const server = await startTestServer(options);
  try {
    return await run(server);
  } finally {
    await server.close();
  }
}

/** A server running elsewhere (a child process) at `url`: no close, no in-process stats. */
export function remoteServer(url: string, apiKey: string = TEST_API_KEY): TestServer {
  return {
    url,
    port: Number(new URL(url).port),
    origin: url.replace(/\/v1$/, ''),
    apiKey,
    headers: { authorization: `Bearer ${apiKey}`, 'openai-beta': 'assistants=v1', 'content-type': 'application/json' },
    close: async () => undefined,
    stats: () => {
      throw new Error('not available for a server in another process: GET /_admin/stats');
    },
  };
}
