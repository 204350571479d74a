/**
 * Bounded memory on the way out: downloads are streamed from disk at the client's pace,
 * and a request nested deeper than any real one is a 400, not a crash.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { get, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { MiB, settledExternalBytes } from '../support/memory.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { uploadGenerated } from './http.js';
import { makeTempDir } from '../support/temp-dir.js';

let dir: string;
let cleanup: () => Promise<void>;
let server: TestServer;
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('assistants-downloads-'));
  server = await startTestServer({ dataFile: join(dir, 'data.jsonl') });
});
afterAll(async () => {
  await server.close();
  await cleanup();
});

test('concurrent downloads of a large file are streamed, not read whole', async () => {
  const size = 32 * MiB;
  const uploaded = await uploadGenerated(server, size);
  expect(uploaded.status).toBe(200);
  const before = settledExternalBytes();
  // Four clients that read one chunk each and then stop reading.
  const responses = await Promise.all(
    Array.from(
      { length: 4 },
      () =>
        new Promise<IncomingMessage>((resolve, reject) => {
          get(`${server.url}/files/${uploaded.body.id as string}/content`, { headers: { authorization: `Bearer ${server.apiKey}` } }, (res) => {
            res.once('data', () => {
              res.pause();
              resolve(res);
            });
          }).on('error', reject);
        }),
    ),
  );
  try {
    for (const res of responses) {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-length']).toBe(String(size));
    }
    expect(settledExternalBytes() - before).toBeLessThan(16 * MiB);
  } finally {
    for (const res of responses) res.destroy();
  }
  // A whole download still arrives byte for byte.
  const whole = await fetch(`${server.url}/files/${uploaded.body.id as string}/content`, { headers: { authorization: `Bearer ${server.apiKey}` } });
  const bytes = Buffer.from(await whole.arrayBuffer());
  expect(bytes.length).toBe(size);
  expect(bytes.every((byte) => byte === 0x62)).toBe(true);
});

test('a body nested deeper than any real one is a 400 in the API shape, at any depth', async () => {
  const headers = { ...server.headers };
  let schema: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < 2_000; i++) schema = { type: 'object', properties: { a: schema }, required: ['a'] };
  const tool = { type: 'function', function: { name: 'deep', parameters: schema } };
  const deepTools = await fetch(`${server.url}/assistants`, { method: 'POST', headers, body: JSON.stringify({ model: 'm', tools: [tool] }) });
  expect(deepTools.status).toBe(400);
  expect(await deepTools.json()).toEqual({
    error: {
      message: "Invalid 'tools': nested too deeply. Expected at most 100 levels of objects and arrays in a request body.",
      type: 'invalid_request_error',
      param: 'tools',
      code: 'invalid_value',
    },
  });
  const deepArray = await fetch(`${server.url}/threads`, { method: 'POST', headers, body: `${'['.repeat(100_000)}${']'.repeat(100_000)}` });
  expect(deepArray.status).toBe(400);
  expect(await deepArray.json()).toMatchObject({ error: { type: 'invalid_request_error', param: null } });

  // A schema as deep as real ones get is fine.
  let real: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < 20; i++) real = { type: 'object', properties: { a: real } };
  const ok = await fetch(`${server.url}/assistants`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ model: 'm', tools: [{ type: 'function', function: { name: 'ok', parameters: real } }] }),
  });
  expect(ok.status).toBe(200);
});
