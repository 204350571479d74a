import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AssistantsApi,
  AuthenticationError,
  BadRequestError,
  MissingApiKeyError,
  NotFoundError,
  RateLimitError,
  createConfiguration,
  type RetryEvent,
} from '../../src/index.js';
import { startServer } from '../../src/server/index.js';
import { FakeClock } from '../support/fake-clock.js';
import { TEST_KEY, startHarness, type Harness } from './harness.js';

const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const SERVER_KEY = 'sk-server-Hn4kP8qR2sT6vW0xY3zA5bC7';
const WRONG_KEY = 'sk-wrong-Jm2nB4vC6xZ8lK0jH1gF3dS5';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ apiKey: SERVER_KEY }, { apiKey: SERVER_KEY, maxRetries: 0 });
});
afterAll(() => h.close());

async function caught(promise: Promise<unknown>): Promise<APIError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof APIError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('errors from real responses', () => {
  test('401: a wrong key is rejected, and the key appears nowhere', async () => {
    const { api, configuration } = h.client({ apiKey: WRONG_KEY });
    const error = await caught(api.listAssistants());
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ status: 401, method: 'GET', path: '/assistants', type: 'invalid_request_error' });
    expect(error.requestId).toMatch(/^req_/);
    expect(error.message).toContain('rejected the API key');
    expect(error.message).toContain('OPENAI_API_KEY');
    for (const text of [error.message, error.serverMessage ?? '', inspect(error), JSON.stringify(error), String(error.stack)]) {
      expect(text).not.toContain(WRONG_KEY);
      expect(text).not.toContain(SERVER_KEY);
    }
    expect(inspect(configuration)).not.toContain(WRONG_KEY);
  });

  test('no key: nothing is sent and the message says how to set one', async () => {
    const configuration = createConfiguration({ baseUrl: h.server.url, env: {} });
    onTestFinished(() => configuration.close());
    const before = h.server.stats().requests;
    const error = await caught(new AssistantsApi(configuration).listAssistants());
    expect(error).toBeInstanceOf(MissingApiKeyError);
    expect(error.message).toContain('OPENAI_API_KEY');
    expect(h.server.stats().requests).toBe(before);
  });

  test('404 carries the server message, method, path and request id', async () => {
    const error = await caught(h.api.getAssistant({ assistantId: 'asst_doesnotexist' }));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({
      status: 404,
      type: 'invalid_request_error',
      serverMessage: "No assistant found with id 'asst_doesnotexist'.",
      method: 'GET',
      path: '/assistants/asst_doesnotexist',
    });
    expect(error.message).toContain("No assistant found with id 'asst_doesnotexist'");
  });

  test('400 names the field at fault', async () => {
    const error = await caught(h.api.createAssistant({ createAssistantRequest: { model: 'gpt-4', name: 'n'.repeat(257) } }));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.status).toBe(400);
    expect(error.param).toBe('name');
    expect(error.message).toContain("field 'name'");
  });

  test('connection refused names the endpoint and how to start a server', async () => {
    const server = await startServer({ port: 0 });
    await server.close();
    const { api } = h.client({ baseUrl: server.url, maxRetries: 1 });
    const retries: RetryEvent[] = [];
    const { api: observed } = h.client({ baseUrl: server.url, maxRetries: 1, onRetry: (e) => retries.push(e) });
    const error = await caught(api.listAssistants(undefined, { maxRetries: 0 }));
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(error.status).toBeUndefined();
    expect(error.message).toContain(server.url);
    expect(error.message).toContain('--endpoint');
    expect(error.message).toContain('assistants serve');
    await expect(observed.listAssistants()).rejects.toBeInstanceOf(APIConnectionError);
    expect(retries).toHaveLength(1);
    expect(retries[0]?.error).toBeInstanceOf(APIConnectionError);
  });
});

describe('timeouts, retries and rate limits', () => {
  test('a slow server times out per attempt, and each timeout is retried', async () => {
    const slow = await startHarness({ latencyMs: 400 }, { maxRetries: 0 });
    onTestFinished(() => slow.close());
    const error = await caught(slow.api.listAssistants(undefined, { timeoutMs: 100 }));
    expect(error).toBeInstanceOf(APIConnectionTimeoutError);
    expect(error.message).toContain('timed out after 100 ms');

    const retries: RetryEvent[] = [];
    // The back-offs between attempts pass on a fake clock; each attempt's timeout is real.
    const clock = new FakeClock();
    const { api } = slow.client({ timeoutMs: 100, maxRetries: 2, onRetry: (e) => retries.push(e), clock });
    await expect(api.listAssistants()).rejects.toBeInstanceOf(APIConnectionTimeoutError);
    expect(retries.map((r) => r.retry)).toEqual([1, 2]);
    expect(clock.sleeps).toEqual(retries.map((r) => r.delayMs));
    // The same call succeeds when the caller raises the timeout for it.
    expect((await api.listAssistants(undefined, { timeoutMs: 5_000 })).object).toBe('list');
  });

  test('429: retry-after is honoured and every retry is reported', async () => {
    const limited = await startHarness({ rateLimit: 2 });
    onTestFinished(() => limited.close());
    const retries: RetryEvent[] = [];
    const { api } = limited.client({ maxRetries: 10, onRetry: (e) => retries.push(e) });
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 8 }, () => api.listAssistants()));
    expect(results.every((r) => r.object === 'list')).toBe(true);
    expect(retries.length).toBeGreaterThan(0);
    for (const retry of retries) {
      expect(retry.error).toBeInstanceOf(RateLimitError);
      expect(retry.error.retryAfterMs).not.toBeNull();
      expect(retry.delayMs).toBe(retry.error.retryAfterMs);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(Math.min(...retries.map((r) => r.delayMs)));
    expect(limited.server.stats().rateLimited).toBe(retries.length);

    // With retries off for the call, the 429 surfaces with the server's requested wait.
    const burst = await Promise.allSettled(Array.from({ length: 6 }, () => api.listAssistants(undefined, { maxRetries: 0 })));
    const rejected = burst.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected[0]).toBeInstanceOf(RateLimitError);
    expect((rejected[0] as RateLimitError).retryAfterMs).toBeGreaterThan(0);
    expect((rejected[0] as RateLimitError).message).toMatch(/try again after \d+ s/);
  });

  test('faultRate 0.3: every read succeeds through retries', async () => {
    const faulty = await startHarness({ faultRate: 0.3, faultSeed: 7, stallMs: 1_500 });
    onTestFinished(() => faulty.close());
    const setup = faulty.client({ maxRetries: 10 });
    const assistant = await setup.api.createAssistant({ createAssistantRequest: { model: 'gpt-4', name: 'steady' } });
    const retries: RetryEvent[] = [];
    // The back-offs (0.5 s doubling, up to 8 s) pass on a fake clock; the stalls and timeouts are real.
    // The timeout is far from both a stall and an answer on a loaded machine: at 150 ms, an answer
    // late under load also timed out, and a read could fail all 9 attempts (seen once in the suite).
    const clock = new FakeClock();
    const { api } = faulty.client({ maxRetries: 8, timeoutMs: 1_000, onRetry: (e) => retries.push(e), clock });
    const reads = await Promise.all(Array.from({ length: 40 }, () => api.getAssistant({ assistantId: assistant.id })));
    expect(reads.every((a) => a.name === 'steady')).toBe(true);
    const stats = faulty.server.stats();
    expect(stats.faults.errors).toBeGreaterThan(0);
    expect(retries.length).toBeGreaterThanOrEqual(stats.faults.errors);
    expect(retries.some((r) => r.error.status !== undefined && r.error.status >= 500)).toBe(true);
    expect(clock.sleeps).toEqual(retries.map((r) => r.delayMs));
  }, 60_000);

  test("the caller's signal aborts a call, and aborted calls are not retried", async () => {
    const slow = await startHarness({ latencyMs: 1_000 });
    onTestFinished(() => slow.close());
    const retries: RetryEvent[] = [];
    const { api } = slow.client({ onRetry: (e) => retries.push(e) });
    const error = await caught(api.listAssistants(undefined, { signal: AbortSignal.timeout(50) }));
    expect(error).toBeInstanceOf(APIUserAbortError);
    expect(retries).toEqual([]);
  });
});

describe('key redaction and headers', () => {
  test('util.inspect and JSON of a configuration never show the key', () => {
    const configuration = createConfiguration({ apiKey: TEST_KEY, baseUrl: 'http://127.0.0.1:9/v1', env: {} });
    onTestFinished(() => configuration.close());
    for (const text of [inspect(configuration), inspect(configuration, { showHidden: true, depth: 10 }), JSON.stringify(configuration)]) {
      expect(text).not.toContain(TEST_KEY);
      expect(text).toContain('[redacted]');
    }
    expect(configuration.hasApiKey).toBe(true);
  });

  test('defaults come from the environment', () => {
    const configuration = createConfiguration({
      env: { OPENAI_API_KEY: TEST_KEY, OPENAI_BASE_URL: 'http://127.0.0.1:9/v1/', OPENAI_ORG_ID: 'org-1', OPENAI_PROJECT_ID: 'proj_1' },
    });
    onTestFinished(() => configuration.close());
    expect(configuration.toJSON()).toEqual({
      baseUrl: 'http://127.0.0.1:9/v1',
      organization: 'org-1',
      project: 'proj_1',
      timeoutMs: 600_000,
      maxRetries: 2,
      apiKey: '[redacted]',
    });
    expect(() => createConfiguration({ baseUrl: 'http://127.0.0.1/v1?key=sk-in-query-0123456789', env: {} })).toThrow(
      'The API base URL (baseUrl, else OPENAI_BASE_URL) must not carry a query string (?...): a key there would be printed and stored; put it in OPENAI_API_KEY.',
    );
    expect(() => createConfiguration({ baseUrl: 'not a url', env: {} })).toThrow(/OPENAI_BASE_URL/);
  });

  test('sends auth, beta, organization, project and user-agent headers', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const probe = createServer((req, res) => {
      seen.push(req.headers);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ object: 'list', data: [], first_id: null, last_id: null, has_more: false }));
    });
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => probe.close(() => resolve())));
    const { port } = probe.address() as AddressInfo;
    const { api, files } = h.client({ baseUrl: `http://127.0.0.1:${port}/v1`, organization: 'org-abc', project: 'proj_xyz' });
    await api.listAssistants();
    await files.listFiles().catch(() => undefined);
    expect(seen[0]).toMatchObject({
      authorization: `Bearer ${SERVER_KEY}`,
      'openai-beta': 'assistants=v1',
      'openai-organization': 'org-abc',
      'openai-project': 'proj_xyz',
      'user-agent': expect.stringMatching(new RegExp(`^assistants-client/${packageVersion.replaceAll('.', '\\.')} node/`)),
    });
    expect(seen[1]?.['openai-beta']).toBeUndefined();
  });
});
