/**
 * Bounded memory on the way out: downloads are streamed from disk at the client's pace,
 * and a request nested deeper than any real one is a 400, not a crash.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { get, type IncomingMessage } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MiB, settledExternalBytes } from '../support/memory.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { uploadGenerated } from './http.js';

let dir: string;
let server: TestServer;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'assistants-downloads-'));
  server = await startTestServer({ dataFile: join(dir, 'data.jsonl') });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
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
