/**
 * What a command loads is part of its start-up time: plan and apply send through undici's
 * connection pool alone (src/api/pool.ts), not its index, which brings fetch, WebSocket,
 * caches and mocks (~100 ms of CPU); its FormData is loaded at the first upload, and
 * nothing else brings the index in (the forge's client loads it only to comment).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeProject, runCli } from './cli.js';

/** Loaded with --import: on exit, writes the CommonJS modules the process loaded, one a line. */
const HOOK = `import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => writeFileSync(process.env.LOADED_MODULES_FILE, Object.keys(cache).join('\\n')));
`;

let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startTestServer();
  dir = await makeProject({
    'assistants.yaml': 'version: 1\nproject: lean\nfiles:\n  faq:\n    path: faq.md\nassistants:\n  support:\n    model: gpt-4\n    files: [faq]\n',
    'faq.md': '# FAQ\n',
  });
  await writeFile(join(dir, 'hook.mjs'), HOOK);
});
afterAll(async () => server.close());

async function loadedBy(...args: string[]): Promise<string[]> {
  const list = join(dir, 'loaded.txt');
  const env = { OPENAI_API_KEY: server.apiKey, NODE_OPTIONS: `--import=${pathToFileURL(join(dir, 'hook.mjs')).href}`, LOADED_MODULES_FILE: list };
  const result = await runCli([...args, '--endpoint', server.url], { cwd: dir, env });
  expect(result.code, result.stderr).toBe(0);
  return (await readFile(list, 'utf8')).split('\n').map((path) => path.split('/node_modules/').pop() ?? path);
}

it("plan sends through undici's pool without loading its index; apply loads it at the first upload, and uploads", async () => {
  const planned = await loadedBy('plan');
  expect(planned).toContain('undici/lib/dispatcher/pool.js');
  expect(planned).not.toContain('undici/index.js');
  const applied = await loadedBy('apply', '--auto-approve');
  expect(applied).toContain('undici/index.js');
  expect(server.stats().objects.files).toBe(1);
  const again = await loadedBy('plan', '--detailed-exitcode');
  expect(again).not.toContain('undici/index.js');
});
