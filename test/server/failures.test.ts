/**
 * Failures inside the server are answered in the API's error shape and logged, never
 * mistaken for a client that went away; a change that cannot be persisted is undone.
 */
import { afterEach, beforeEach, expect, test } from 'vitest';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestServer } from '../support/server.js';
import { startChildServer } from './child-server.js';
import { call, createAssistant } from './http.js';
import { makeTempDir } from '../support/temp-dir.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir('assistants-failures-'));
});
afterEach(async () => {
  await cleanup();
});

test('a change the disk refuses is answered 500, logged once with its request id, and not kept', async () => {
  const dataFile = join(dir, 'data.jsonl');
  // Under `ulimit -f` the journal cannot grow past 24 KiB: its append fails (EFBIG) as on a full disk.
  const child = await startChildServer({ dataFile }, { fileSizeLimitBytes: 24 * 1024 });
  const acknowledged: string[] = [];
  let failed: Awaited<ReturnType<typeof call>> | undefined;
  try {
    for (let i = 0; i < 12 && !failed; i++) {
      const reply = await call(child.server, 'POST', '/assistants', { model: 'm', name: `a${i}`, instructions: 'x'.repeat(4000) });
      if (reply.status === 200) acknowledged.push(reply.body.name as string);
      else failed = reply;
    }
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(failed?.status).toBe(500);
    expect(failed?.body.error).toMatchObject({ type: 'server_error', param: null });
    expect(failed?.body.error?.message).toMatch(/could not be saved.*EFBIG.*nothing was changed/);
    const requestId = failed?.headers.get('x-request-id') ?? '';
    expect(requestId).toMatch(/^req_[0-9a-f]{32}$/);
    const logged = child.stderr().split('\n').filter((line) => line.includes(requestId));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(new RegExp(`^assistants serve: ${requestId} POST /v1/assistants: 500 .*EFBIG`));

    // The failed create is not visible, and the server still answers.
    const names = async (server: typeof child.server): Promise<string[]> =>
      ((await call(server, 'GET', '/assistants?order=asc&limit=100')).body.data as Array<{ name: string }>).map((a) => a.name);
    expect(await names(child.server)).toEqual(acknowledged);
  } finally {
    await child.kill();
  }
  // Nor after a restart: the journal holds exactly what was acknowledged.
  const server = await startTestServer({ dataFile });
  try {
    const list = await call(server, 'GET', '/assistants?order=asc&limit=100');
    expect((list.body.data as Array<{ name: string }>).map((a) => a.name)).toEqual(acknowledged);
  } finally {
    await server.close();
  }
});

test('a delete the disk refuses leaves the object where it was, in every list', async () => {
  const dataFile = join(dir, 'data.jsonl');
  const limit = 24 * 1024;
  const child = await startChildServer({ dataFile }, { fileSizeLimitBytes: limit });
  try {
    const ids: string[] = [];
    for (const name of ['first', 'middle', 'last']) ids.push((await createAssistant(child.server, { name })).id as string);
    // Grow the journal to a few bytes short of the limit: the delete's line cannot fit.
    const before = (await stat(dataFile)).size;
    await createAssistant(child.server, { name: 'probe', instructions: 'x' });
    const perRecord = (await stat(dataFile)).size - before - 1;
    await createAssistant(child.server, { name: 'filler', instructions: 'x'.repeat(limit - (await stat(dataFile)).size - perRecord - 20) });
    expect(limit - (await stat(dataFile)).size).toBeLessThan(40);

    const refused = await call(child.server, 'DELETE', `/assistants/${ids[1] as string}`);
    expect(refused.status).toBe(500);
    const list = await call(child.server, 'GET', '/assistants?order=asc');
    expect((list.body.data as Array<{ name: string }>).map((a) => a.name)).toEqual(['first', 'middle', 'last', 'probe', 'filler']);
    expect((await call(child.server, 'GET', `/assistants/${ids[1] as string}`)).status).toBe(200);
  } finally {
    await child.kill();
  }
});
