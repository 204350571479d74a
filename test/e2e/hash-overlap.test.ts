/**
 * A plan checks the manifest, that its attached files are there, and the state before its
 * first request, and hashes the files once the listing's first answer is in, while the rest
 * are awaited: a CI checkout, which has no hash cache, does not hash them all before it lists.
 * The hashes are the same ones, and the cache is written; a missing file still stops the
 * plan before any request.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeProject, runCli, runCliInProcess } from './cli.js';
import { startProxy } from './recording-proxy.js';

const CACHE = '.assistants/cache/file-hashes.json';
const FILES = 20;

function project(): Record<string, string> {
  const manifest = ['version: 1', 'project: hashing', 'files:'];
  const files: Record<string, string> = {};
  for (let i = 0; i < FILES; i++) {
    manifest.push(`  f${i}:`, `    path: docs/f${i}.md`);
    files[`docs/f${i}.md`] = `# File ${i}\n`;
  }
  manifest.push('assistants:');
  for (let i = 0; i < FILES / 2; i++) manifest.push(`  a${i}:`, '    model: gpt-4', '    tools: [{type: retrieval}]', `    files: [f${2 * i}, f${2 * i + 1}]`);
  return { 'assistants.yaml': `${manifest.join('\n')}\n`, ...files };
}

let server: TestServer;
let env: Record<string, string>;
beforeAll(async () => {
  server = await startTestServer();
  env = { OPENAI_API_KEY: server.apiKey };
});
afterAll(async () => server.close());

describe('attached files hashed while the listing is awaited', () => {
  it('a plan with no hash cache asks for the listing before it hashes, and finds no change', async () => {
    const dir = await makeProject(project());
    const proxy = await startProxy(server.url);
    try {
      expect((await runCliInProcess(['apply', '--auto-approve', '--endpoint', proxy.url], { cwd: dir, env })).code).toBe(0);
      // A fresh checkout: the state is there (or in PostgreSQL), the hash cache is not.
      await rm(join(dir, CACHE));
      const cachedAtFirstRequest: boolean[] = [];
      proxy.answer(() => {
        if (cachedAtFirstRequest.length === 0) cachedAtFirstRequest.push(existsSync(join(dir, CACHE)));
        return null;
      });
      const plan = await runCli(['plan', '--detailed-exitcode', '--endpoint', proxy.url], { cwd: dir, env });
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
      expect(plan.stdout).toContain('No changes');
      expect(cachedAtFirstRequest).toEqual([false]);
      const cache = JSON.parse(await readFile(join(dir, CACHE), 'utf8')) as { files: Record<string, { sha256: string }> };
      const expected = Array.from({ length: FILES }, (_, i) => createHash('sha256').update(`# File ${i}\n`).digest('hex'));
      expect(Object.values(cache.files).map((file) => file.sha256).sort()).toEqual(expected.sort());

      // A file gone is a problem in the manifest: one line, exit 1, and nothing sent.
      await rm(join(dir, 'docs/f7.md'));
      proxy.seen.length = 0;
      const missing = await runCli(['plan', '--endpoint', proxy.url], { cwd: dir, env });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^assistants\.yaml:\d+:\d+: file "f7" \(docs\/f7\.md\) /m);
      expect(proxy.seen).toEqual([]);
    } finally {
      await proxy.close();
    }
  }, 60_000);
});
