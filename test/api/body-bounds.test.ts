/**
 * A hostile server cannot make the client buffer without end: a JSON answer, an error
 * body, a file's content and a streamed event that never end are each cut at their bound
 * (transport.ts, sse.ts) with one clear error, and the connection is dropped. The server
 * here is a stand-in that does what ours never would.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { APIError, AssistantsApi, createConfiguration, FilesApi, type Configuration } from '../../src/api/index.js';
import { MAX_EVENT_CHARS } from '../../src/api/sse.js';
import { MAX_CONTENT_BYTES, MAX_ERROR_BODY_BYTES, MAX_JSON_BODY_BYTES } from '../../src/api/transport.js';

const CHUNK = Buffer.alloc(1024 * 1024, 'x');

/** Writes `chunk` until the client hangs up; returns how many bytes were taken. */
function endless(res: ServerResponse, chunk: Buffer, sent: (bytes: number) => void): void {
  let bytes = 0;
  const pump = (): void => {
    while (!res.destroyed) {
      bytes += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
  };
  res.on('close', () => sent(bytes));
  pump();
}

const sentBytes: number[] = [];
let configuration: Configuration;
let close: () => Promise<void>;

beforeAll(async () => {
  const server = createServer((req, res) => {
    const record = (bytes: number): void => void sentBytes.push(bytes);
    if (req.url?.endsWith('/assistants/asst_big')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"id": "');
      endless(res, CHUNK, record);
    } else if (req.url?.endsWith('/assistants/asst_error')) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.write('{"error": {"message": "');
      endless(res, Buffer.alloc(16 * 1024, 'e'), record);
    } else if (req.url?.endsWith('/content')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      endless(res, CHUNK, record);
    } else if (req.url?.endsWith('/runs')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: thread.run.created\ndata: ');
      endless(res, CHUNK, record);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  configuration = createConfiguration({
    apiKey: 'k',
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    maxRetries: 0,
    env: {},
  });
  close = async () => {
    await configuration.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
});
afterAll(() => close());

async function failure(promise: Promise<unknown>): Promise<APIError> {
  const error: unknown = await promise.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
  if (!(error instanceof APIError)) throw error;
  return error;
}

/** The server saw the connection closed after at most `limit` bytes and a little in flight. */
async function hungUpNear(limit: number): Promise<void> {
  await expect.poll(() => sentBytes.length).toBe(1);
  expect(sentBytes.pop()).toBeLessThan(limit + 64 * CHUNK.length);
}

describe('an answer that never ends', () => {
  test('JSON: cut at 128 MiB, with one line, not retried', async () => {
    const api = new AssistantsApi(configuration);
    const error = await failure(api.getAssistant({ assistantId: 'asst_big' }));
    expect(error.message).toBe(
      `The API answered GET /assistants/asst_big with status 200: the response body is larger than ${MAX_JSON_BODY_BYTES / 1024 / 1024} MiB, so it was not read.`,
    );
    expect(error.retryable).toBe(false);
    await hungUpNear(MAX_JSON_BODY_BYTES);
  });

  test('an error body: its start is the message, the rest is not read', async () => {
    const api = new AssistantsApi(configuration);
    const error = await failure(api.getAssistant({ assistantId: 'asst_error' }));
    expect(error.status).toBe(500);
    expect(error.serverMessage).toBe(`{"error": {"message": "${'e'.repeat(200 - 23)}`);
    await hungUpNear(MAX_ERROR_BODY_BYTES);
  });

  test("a file's content: cut at 512 MiB", async () => {
    const files = new FilesApi(configuration);
    const error = await failure(files.downloadFile({ fileId: 'file-big' }));
    expect(error.serverMessage).toBe(`the response body is larger than ${MAX_CONTENT_BYTES / 1024 / 1024} MiB, so it was not read`);
    await hungUpNear(MAX_CONTENT_BYTES);
  }, 60_000);

  test('a streamed event: cut at 16 Mi characters with a StreamError', async () => {
    const api = new AssistantsApi(configuration);
    const stream = await api.createRun({ threadId: 'thread_1', createRunRequest: { assistantId: 'asst_1', stream: true } });
    if (!('finalRun' in stream)) throw new Error('expected a stream');
    const error = await failure(stream.finalRun());
    expect(error.name).toBe('StreamError');
    expect(error.message).toBe(
      `The event stream of POST /threads/thread_1/runs failed: an event is longer than ${MAX_EVENT_CHARS.toLocaleString('en-US')} characters; check the run with getRun and try again.`,
    );
    await hungUpNear(MAX_EVENT_CHARS);
  });
});
