/**
 * What a command loads is most of its start-up (issue 18: `validate` within 1.5x of a bare
 * `node`, a plan's first request within 0.5 s). A loader hook, given to the built CLI
 * through NODE_OPTIONS, writes down every module it resolves; the tests check what a
 * command never needs is not among them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.js';
import { makeProject, runCli } from './cli.js';

/** Runs in the loader's thread: one line per resolved module, written before it loads. */
const HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.LOADED_MODULES_FILE, resolved.url + '\\n');
  return resolved;
}
`;
const REGISTER = `import { register } from 'node:module';
register(new URL('./hooks.mjs', import.meta.url));
`;

async function loadedBy(args: string[], files: Record<string, string>, env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string; loaded: string[] }> {
  const dir = await makeProject({ ...files, 'hooks.mjs': HOOKS, 'register.mjs': REGISTER });
  const list = join(dir, 'loaded.txt');
  const result = await runCli(args, { cwd: dir, env: { ...env, NODE_OPTIONS: `--import ${pathToFileURL(join(dir, 'register.mjs')).href}`, LOADED_MODULES_FILE: list } });
  return { code: result.code, stderr: result.stderr, loaded: (await readFile(list, 'utf8')).split('\n').filter((line) => line !== '') };
}

/**
 * Modules of the API client, the server, the planner and the forge clients (and undici
 * under them), and the yaml library, which only a manifest the fast path cannot read needs.
 */
const NOT_FOR_VALIDATE = /\/node_modules\/(undici|yaml)\/|\/dist\/(api\/transport|api\/index|server\/index|plan\/planner|forge\/http|cli\/session)\.js$/;

describe('start-up', () => {
  it('validate loads the manifest loader, never the HTTP client, the server, the planner, the forge clients or the yaml library', async () => {
    const { code, stderr, loaded } = await loadedBy(['validate'], {
      'assistants.yaml': 'version: 1\nproject: p\nassistants:\n  a:\n    model: gpt-4\n',
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(loaded.some((url) => url.endsWith('/dist/manifest/load.js'))).toBe(true);
    expect(loaded.filter((url) => NOT_FOR_VALIDATE.test(url))).toEqual([]);
  });

  it("plan sends through undici's connection pool alone, never loading its index (fetch, WebSocket, caches); apply still uploads", async () => {
    const server = await startTestServer();
    try {
      const files = { 'assistants.yaml': 'version: 1\nproject: p\nfiles:\n  faq:\n    path: faq.md\nassistants:\n  a:\n    model: gpt-4\n    tools: [{ type: retrieval }]\n    files: [faq]\n', 'faq.md': '# FAQ\n' };
      const env = { OPENAI_API_KEY: server.apiKey };
      const planned = await loadedBy(['plan', '--endpoint', server.url], files, env);
      expect({ code: planned.code, stderr: planned.stderr }).toEqual({ code: 0, stderr: '' });
      expect(planned.loaded.some((url) => url.endsWith('/dist/api/pool.js'))).toBe(true);
      expect(planned.loaded.filter((url) => url.endsWith('/node_modules/undici/index.js'))).toEqual([]);
      const applied = await loadedBy(['apply', '--auto-approve', '--endpoint', server.url], files, env);
      expect(applied.code, applied.stderr).toBe(0);
      expect(server.stats().objects.files).toBe(1);
    } finally {
      await server.close();
    }
  });
});
