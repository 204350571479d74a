/**
 * A broken or hostile Assistants-compatible server, and endpoint URLs that would carry a
 * secret: each ends in one clear line, bounded in time and memory, and nothing is
 * printed or stored of what should not be. The broken servers are stand-ins written
 * against the API's documented list shape (`object`, `data`, `first_id`, `last_id`,
 * `has_more`), since our own server paginates correctly.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProject, runCli } from './cli.js';

/** A server whose assistant listing answers `has_more: true` forever, with `cursor(n)` as the n-th page's last id. */
async function endlessListing(cursor: (page: number) => string): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  let page = 0;
  const server: Server = createServer((req, res) => {
    requests += 1;
    res.setHeader('content-type', 'application/json');
    if (req.url?.startsWith('/v1/files')) {
      res.end(JSON.stringify({ object: 'list', data: [], has_more: false }));
      return;
    }
    const id = cursor(page++);
    const assistant = { id, object: 'assistant', created_at: 1, name: null, description: null, model: 'gpt-4', instructions: null, tools: [], file_ids: [], metadata: {} };
    res.end(JSON.stringify({ object: 'list', data: [assistant], first_id: id, last_id: id, has_more: true }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const MANIFEST = 'version: 1\nproject: p\nassistants:\n  a:\n    model: gpt-4\n';
let dir: string;
beforeAll(async () => {
  dir = await makeProject({ 'assistants.yaml': MANIFEST });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('a listing that never ends', () => {
  it('stops at a repeated cursor, with one line', async () => {
    const server = await endlessListing(() => 'asst_same');
    try {
      const result = await runCli(['plan', '--endpoint', server.url], { cwd: dir, env: { OPENAI_API_KEY: 'k' } });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `Error: The API's listing GET /assistants at ${server.url} repeated the cursor "asst_same" on page 2, so it would never end; stopped reading it (the server's pagination is broken).\n`,
      );
      expect(server.requests()).toBe(3);
    } finally {
      await server.close();
    }
  });

  it('stops after 1,000 pages of new cursors, with one line', async () => {
    const server = await endlessListing((page) => `asst_${page}`);
    try {
      const result = await runCli(['plan', '--endpoint', server.url], { cwd: dir, env: { OPENAI_API_KEY: 'k' } });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `Error: The API's listing GET /assistants at ${server.url} did not end after 1,000 pages; stopped reading it (the server's pagination is broken).\n`,
      );
      expect(server.requests()).toBe(1_001);
    } finally {
      await server.close();
    }
  }, 60_000);
});

describe('an endpoint URL that could carry a secret', () => {
  const CANARY = 'sk-canary-in-the-url-0123456789';
  it.each([
    ['a query string', `?key=${CANARY}`, '--endpoint must not carry a query string (?...): a key there would be printed and stored; put it in OPENAI_API_KEY.'],
    ['a fragment', `#${CANARY}`, '--endpoint must not carry a fragment (#...); give the API base URL alone.'],
  ])('with %s is refused with one line that does not show it, and nothing is sent or written', async (_what, suffix, message) => {
    const server = await endlessListing(() => 'asst_x');
    try {
      const viaFlag = await runCli(['plan', '--endpoint', `${server.url}${suffix}`], { cwd: dir, env: { OPENAI_API_KEY: 'k' } });
      expect(viaFlag.stderr).toBe(`Error: ${message}\n`);
      const viaEnv = await runCli(['plan'], { cwd: dir, env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: `${server.url}${suffix}` } });
      expect(viaEnv.stderr).toBe(`Error: ${message.replace('--endpoint', 'OPENAI_BASE_URL')}\n`);
      for (const result of [viaFlag, viaEnv]) expect(result.code).toBe(1);
      expect(server.requests()).toBe(0);
    } finally {
      await server.close();
    }
    expect(await readdir(dir)).toEqual(['assistants.yaml']);
  });

  it('with credentials is refused without showing them', async () => {
    const result = await runCli(['plan', '--endpoint', `http://user:${CANARY}@127.0.0.1:9/v1`], { cwd: dir, env: { OPENAI_API_KEY: 'k' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('Error: --endpoint must not carry credentials (user:password@); put the key in OPENAI_API_KEY.\n');
    const garbled = await runCli(['plan', '--endpoint', `not a url ${CANARY}`], { cwd: dir, env: { OPENAI_API_KEY: 'k' } });
    expect(garbled.stderr).toBe('Error: --endpoint is not a URL: give one like https://api.example.com/v1, or "local".\n');
  });
});
