/**
 * What a command loads is most of its start-up (issue 18: `validate` within 1.5x of a bare
 * `node`). A loader hook, given to the built CLI through NODE_OPTIONS, writes down every
 * module it resolves; the test checks what `validate` never needs is not among them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
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

async function loadedBy(args: string[], files: Record<string, string>): Promise<{ code: number | null; stderr: string; loaded: string[] }> {
  const dir = await makeProject({ ...files, 'hooks.mjs': HOOKS, 'register.mjs': REGISTER });
  const list = join(dir, 'loaded.txt');
  const result = await runCli(args, { cwd: dir, env: { NODE_OPTIONS: `--import ${pathToFileURL(join(dir, 'register.mjs')).href}`, LOADED_MODULES_FILE: list } });
  return { code: result.code, stderr: result.stderr, loaded: (await readFile(list, 'utf8')).split('\n').filter((line) => line !== '') };
}

/** Modules of the API client, the server, the planner and the forge clients (and undici under them). */
const NOT_FOR_VALIDATE = /\/node_modules\/undici\/|\/dist\/(api\/transport|api\/index|server\/index|plan\/planner|forge\/http|cli\/session)\.js$/;

describe('start-up', () => {
  it('validate loads the manifest loader, never the HTTP client, the server, the planner or the forge clients', async () => {
    const { code, stderr, loaded } = await loadedBy(['validate'], {
      'assistants.yaml': 'version: 1\nproject: p\nassistants:\n  a:\n    model: gpt-4\n',
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(loaded.some((url) => url.endsWith('/dist/manifest/load.js'))).toBe(true);
    expect(loaded.filter((url) => NOT_FOR_VALIDATE.test(url))).toEqual([]);
  });
});
