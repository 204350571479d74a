import { afterEach, describe, expect, test } from 'vitest';
import { request } from 'node:http';
import { connect } from 'node:net';
import { FaultInjector, type Fault } from '../../src/server/faults.js';
import { formatDuration } from '../../src/server/rate-limit.js';
import { maskKey } from '../../src/server/auth.js';
import { INVALID_JSON_MESSAGE } from '../../src/server/http.js';
import { startTestServer, withServer, type TestServer } from '../support/server.js';
import { call, errorOf } from './http.js';

const servers: TestServer[] = [];
async function start(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const server = await startTestServer(options);
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** One request on its own connection (no keep-alive, no client retries): a status or what went wrong. */
function rawCall(server: TestServer, method: string, path: string, body?: unknown, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const req = request(`${server.url}${path}`, { method, headers: server.headers, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.statusCode)));
      res.on('error', () => resolve('dropped'));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve('timeout');
    });
    req.on('error', () => resolve('dropped'));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** A seed whose fault sequence starts with `first`, then `rest` (undefined = no fault). */
function seedFor(rate: number, sequence: Array<Fault['kind'] | 'none'>): number {
  for (let seed = 1; seed < 100_000; seed++) {
    const injector = new FaultInjector(rate, seed);
    if (sequence.every((kind) => (injector.next()?.kind ?? 'none') === kind)) return seed;
  }
  throw new Error('no seed found');
}

describe('auth', () => {
  test('missing or empty bearer is a 401', async () => {
    const server = await start();
    const variants: Array<Record<string, string>> = [{}, { authorization: 'Bearer ' }, { authorization: 'Basic abc' }];
    for (const headers of variants) {
      const reply = await call(server, 'GET', '/assistants', undefined, { 'openai-beta': 'assistants=v1', ...headers });
      expect(errorOf(reply)).toMatchObject({ status: 401, type: 'invalid_request_error' });
      expect(errorOf(reply).message).toContain("You didn't provide an API key.");
    }
    // Without --api-key any non-empty key is accepted, on /files too.
    const anyKey = { authorization: 'Bearer whatever', 'openai-beta': 'assistants=v1' };
    expect((await call(server, 'GET', '/assistants', undefined, anyKey)).status).toBe(200);
    expect((await call(server, 'GET', '/files', undefined, { authorization: 'Bearer whatever' })).status).toBe(200);
  });

  test('with apiKey only that key; the wrong one is masked in the message', async () => {
    const server = await start({ apiKey: 'sk-right-key-0123456789' });
    expect((await call(server, 'GET', '/assistants')).status).toBe(200);
    const wrong = 'sk-wrong-key-9876543210abcdef';
    const reply = await call(server, 'GET', '/assistants', undefined, { ...server.headers, authorization: `Bearer ${wrong}` });
    const error = errorOf(reply);
    expect(error).toMatchObject({ status: 401, type: 'invalid_request_error', param: null, code: 'invalid_api_key' });
    expect(error.message).toBe(
      `Incorrect API key provided: ${maskKey(wrong)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    );
    expect(error.message).not.toContain(wrong);
    expect(maskKey(wrong)).toMatch(/^sk-wr\*+cdef$/);
    expect(maskKey('short')).toBe('*****');
  });
});

describe('protocol errors', () => {
  test('assistants routes need the beta header; files do not', async () => {
    const server = await start();
    const headers = { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' };
    for (const beta of [undefined, '', ' ']) {
      const reply = await call(server, 'POST', '/assistants', { model: 'm' }, beta === undefined ? headers : { ...headers, 'openai-beta': beta });
      expect(errorOf(reply)).toEqual({
        status: 400,
        message:
          "You must provide the 'OpenAI-Beta' header to access the Assistants API. Please try again by setting the header 'OpenAI-Beta: assistants=v1'.",
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_beta',
      });
    }
    // Another value is named in the error (real-clients.test.ts).
    const other = await call(server, 'POST', '/assistants', { model: 'm' }, { ...headers, 'openai-beta': 'something' });
    expect(errorOf(other)).toMatchObject({ status: 400, code: 'invalid_beta', message: expect.stringContaining("'something'") });
    expect((await call(server, 'GET', '/assistants', undefined, { ...headers, 'openai-beta': 'other=1, assistants=v1' })).status).toBe(200);
    expect((await call(server, 'GET', '/files', undefined, headers)).status).toBe(200);
  });

  test('unknown routes and wrong methods 404 as the API does, bad JSON 400', async () => {
    const server = await start();
    expect(errorOf(await call(server, 'GET', '/nope'))).toEqual({
      status: 404,
      message: 'Invalid URL (GET /v1/nope)',
      type: 'invalid_request_error',
      param: null,
      code: null,
    });
    expect(errorOf(await call(server, 'PUT', '/assistants'))).toEqual({
      status: 404,
      message: 'Invalid URL (PUT /v1/assistants)',
      type: 'invalid_request_error',
      param: null,
      code: null,
    });
    expect(errorOf(await call(server, 'POST', '/assistants', '{"model": "gpt-4",'))).toEqual({
      status: 400,
      message: INVALID_JSON_MESSAGE,
      type: 'invalid_request_error',
      param: null,
      code: null,
    });
    const outside = await fetch(`${server.origin}/elsewhere`);
    expect(outside.status).toBe(404);
    expect(await outside.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  test('a body over maxBodyBytes is a 413', async () => {
    const server = await start({ maxBodyBytes: 1000 });
    expect((await call(server, 'POST', '/assistants', { model: 'm', instructions: 'x'.repeat(900) })).status).toBe(200);
    const reply = await call(server, 'POST', '/assistants', { model: 'm', instructions: 'x'.repeat(1000) });
    expect(errorOf(reply)).toMatchObject({ status: 413, type: 'invalid_request_error' });
    // Still serving.
    expect((await call(server, 'GET', '/assistants')).status).toBe(200);
  });

  test('a malformed HTTP request gets a 400, not a hang', async () => {
    const server = await start();
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(text).toMatch(/^HTTP\/1\.1 400/);
    expect(text).toContain('"invalid_request_error"');
  });
});

describe('rate limit', () => {
  test('429 with retry-after and x-ratelimit headers, then recovers', async () => {
    const server = await start({ rateLimit: 2 });
    const first = await call(server, 'GET', '/assistants');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    await call(server, 'GET', '/assistants');
    const limited = await call(server, 'GET', '/assistants');
    expect(errorOf(limited)).toMatchObject({ status: 429, type: 'requests', param: null, code: 'rate_limit_exceeded' });
    expect(errorOf(limited).message).toMatch(/^Rate limit reached for requests/);
    expect(limited.headers.get('retry-after')).toBe('1');
    const waitMs = Number(limited.headers.get('retry-after-ms'));
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(500);
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+ms$|^[\d.]+s$/);
    // /_admin is never limited.
    for (let i = 0; i < 5; i++) expect((await fetch(`${server.origin}/_admin/stats`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, waitMs + 20));
    expect((await call(server, 'GET', '/assistants')).status).toBe(200);
    expect(server.stats().rateLimited).toBe(1);
  });

  test('durations', () => {
    expect(formatDuration(120)).toBe('120ms');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(360_000)).toBe('6m0s');
  });
});

describe('faults', () => {
  test('the fault sequence depends only on the seed', () => {
    const draw = (seed: number): string[] => {
      const injector = new FaultInjector(0.3, seed);
      return Array.from({ length: 200 }, () => {
        const fault = injector.next();
        return fault === undefined ? '-' : fault.kind === 'status' ? String(fault.status) : fault.kind;
      });
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    const kinds = new Set(Array.from({ length: 20 }, (_, i) => draw(i)).flat());
    expect(kinds).toEqual(new Set(['-', '500', '502', '503', 'drop', 'stall']));
    const share = draw(3).filter((k) => k !== '-').length / 200;
    expect(share).toBeGreaterThan(0.15);
    expect(share).toBeLessThan(0.45);
  });

  test('the same seed gives the same outcomes over HTTP', async () => {
    const options = { faultRate: 0.4, faultSeed: 1234, stallMs: 100 };
    const run = async (): Promise<string[]> =>
      withServer(options, async (server) => {
        const outcomes: string[] = [];
        for (let i = 0; i < 25; i++) outcomes.push(await rawCall(server, 'GET', '/assistants', undefined, 1000));
        return outcomes;
      });
    const first = await run();
    expect(await run()).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(2);
    // Faults never touch /_admin.
    await withServer({ faultRate: 1 }, async (server) => {
      for (let i = 0; i < 5; i++) expect((await fetch(`${server.origin}/_admin/stats`)).status).toBe(200);
    });
  });

  test('5xx faults come before processing', async () => {
    const seed = seedFor(0.5, ['status', 'none']);
    const server = await start({ faultRate: 0.5, faultSeed: seed });
    const failed = await call(server, 'POST', '/assistants', { model: 'm' });
    expect([500, 502, 503]).toContain(failed.status);
    expect(failed.body.error).toMatchObject({ message: expect.any(String), type: expect.any(String) });
    const list = await call(server, 'GET', '/assistants');
    expect(list.body.data).toEqual([]);
    expect(server.stats().faults.errors).toBe(1);
  });

  test('a dropped connection comes after the change was made', async () => {
    const seed = seedFor(0.5, ['drop', 'none']);
    const server = await start({ faultRate: 0.5, faultSeed: seed });
    expect(await rawCall(server, 'POST', '/assistants', { model: 'm', name: 'ghost' })).toBe('dropped');
    const list = await call(server, 'GET', '/assistants');
    expect((list.body.data as Array<{ name: string }>).map((a) => a.name)).toEqual(['ghost']);
    expect(server.stats().faults.drops).toBe(1);
    expect(server.stats().byStatus.dropped).toBe(1);
  });

  test('a stall outlasts the client timeout and is not processed once the client left', async () => {
    const seed = seedFor(0.5, ['stall', 'none', 'stall', 'none']);
    const server = await start({ faultRate: 0.5, faultSeed: seed, stallMs: 300 });
    expect(await rawCall(server, 'POST', '/assistants', { model: 'm' }, 100)).toBe('timeout');
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await call(server, 'GET', '/assistants')).body.data).toEqual([]);
    // A patient client gets its answer after the stall.
    const started = performance.now();
    expect(await rawCall(server, 'POST', '/assistants', { model: 'm' }, 2000)).toBe('200');
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(server.stats().faults.stalls).toBe(2);
  });
});

/** The process warnings `work` causes (Node prints them on stderr). */
async function warningsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const note = (warning: Error): void => void seen.push(`${warning.name}: ${warning.message}`);
  process.on('warning', note);
  try {
    await work();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', note);
  }
  return seen;
}

describe('latency and admin', () => {
  test('many requests waiting out latencyMs at once raise no listener-leak warning', async () => {
    const server = await start({ latencyMs: 50 });
    const warnings = await warningsDuring(() => Promise.all(Array.from({ length: 30 }, () => call(server, 'GET', '/assistants'))));
    expect(warnings).toEqual([]);
  });

  test('latencyMs delays every /v1 response', async () => {
    const server = await start({ latencyMs: 120 });
    const started = performance.now();
    await call(server, 'GET', '/assistants');
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
  });

  test('stats count by route pattern and the objects held; reset clears data and stats', async () => {
    const server = await start();
    const a = await call(server, 'POST', '/assistants', { model: 'm' });
    await call(server, 'GET', `/assistants/${a.body.id as string}`);
    await call(server, 'GET', `/assistants/asst_missing`);
    await call(server, 'GET', '/nope');
    const stats = (await (await fetch(`${server.origin}/_admin/stats`)).json()) as Record<string, unknown>;
    expect(stats).toEqual({
      requests: 4,
      byRoute: { 'POST /v1/assistants': 1, 'GET /v1/assistants/:assistant_id': 2 },
      byStatus: { '200': 2, '404': 2 },
      faults: { errors: 0, drops: 0, stalls: 0 },
      rateLimited: 0,
      objects: { assistants: 1, files: 0, threads: 0, messages: 0, runs: 0 },
      runs: { held: 0, taken: 0, claimed: 0, lost: 0, phases: 0, draining: false },
      store: { kind: 'embedded', transactions: 1, retries: 0, unavailable: 0 },
    });
    expect(server.stats()).toEqual(stats);
    const reset = await fetch(`${server.origin}/_admin/reset`, { method: 'POST' });
    expect(await reset.json()).toEqual({ reset: true });
    expect(server.stats().requests).toBe(0);
    expect(server.stats().objects.assistants).toBe(0);
    expect((await call(server, 'GET', '/assistants')).body.data).toEqual([]);
    expect((await fetch(`${server.origin}/_admin/reset`)).status).toBe(405);
  });

  test('binds 127.0.0.1 by default and reports the url', async () => {
    const server = await start();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/v1`);
  });

  test('bad options are refused', async () => {
    await expect(startTestServer({ faultRate: 2 })).rejects.toThrow(/faultRate/);
    await expect(startTestServer({ rateLimit: 0 })).rejects.toThrow(/rateLimit/);
  });
});
