/**
 * Keys that are also names of Object.prototype's members (`constructor`, `toString`,
 * `hasOwnProperty`, `valueOf`, `__proto__`) are ordinary keys everywhere a user names
 * something: assistants, files, metadata, environments, variables, functions.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssistantsApi, createConfiguration } from '../../src/api/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeProject, runCli, runCliInProcess, withEndpoint } from './cli.js';

const BUILTINS = ['constructor', 'toString', 'hasOwnProperty', 'valueOf'];

const MANIFEST = `version: 1
project: protos
variables:
  constructor: { default: c }
  toString: { default: t }
  __proto__: { default: p }
  valueOf: {}
environments:
  constructor:
    variables: { valueOf: v }
files:
${BUILTINS.map((name) => `  ${name}: { path: docs/${name}.md }`).join('\n')}
assistants:
  constructor:
    name: "\${var.constructor} \${var.toString} \${var.__proto__} \${var.valueOf}"
    model: gpt-4
    tools:
      - type: retrieval
      - type: function
        function: { name: toString, parameters: { type: object, properties: { __proto__: { type: string } } } }
    files: [${BUILTINS.join(', ')}]
    metadata:
${[...BUILTINS, '__proto__'].map((key) => `      ${JSON.stringify(key)}: "${key} value"`).join('\n')}
  plain:
    model: gpt-4
    metadata: { __proto__: "x" }
`;

let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startTestServer();
  dir = await makeProject({ 'assistants.yaml': MANIFEST, ...Object.fromEntries(BUILTINS.map((name) => [`docs/${name}.md`, `# ${name}\n`])) });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const real = (...args: string[]) => runCli(withEndpoint([...args, '--env', 'constructor'], server.url), { cwd: dir, env: { OPENAI_API_KEY: server.apiKey } });
/** After the first apply (the built CLI), the runs are in-process: the same program. */
const cli = (...args: string[]) => runCliInProcess(withEndpoint([...args, '--env', 'constructor'], server.url), { cwd: dir, env: { OPENAI_API_KEY: server.apiKey } });

describe('built-in property names as keys', () => {
  it('apply creates everything, with every metadata key', async () => {
    const applied = await real('apply', '--auto-approve');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('Apply complete! Resources: 2 added, 0 changed, 0 destroyed; files: 4 uploaded, 0 deleted.');
    const api = new AssistantsApi(createConfiguration({ apiKey: server.apiKey, baseUrl: server.url }));
    const live = (await api.listAssistants({ limit: 100 })).data;
    const main = live.find((a) => a.metadata?.['assistants-iac'] === 'protos/constructor/constructor')!;
    expect(main.name).toBe('c t p v');
    expect(main.fileIds).toHaveLength(4);
    expect(Object.keys(main.metadata ?? {}).sort()).toEqual(['__proto__', 'assistants-iac', ...BUILTINS].sort());
    expect(Object.hasOwn(main.metadata ?? {}, '__proto__')).toBe(true);
    const plain = live.find((a) => a.metadata?.['assistants-iac'] === 'protos/constructor/plain')!;
    expect(Object.getOwnPropertyDescriptor(plain.metadata, '__proto__')?.value).toBe('x');
  });

  it('then plans no changes, as text and JSON', async () => {
    const plan = await cli('plan', '--detailed-exitcode');
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain('No changes');
    const json = JSON.parse((await cli('plan', '--json')).stdout) as { assistants: Array<{ key: string; after: { metadata: object } }> };
    expect(Object.keys(json.assistants.find((a) => a.key === 'plain')!.after.metadata)).toEqual(['__proto__', 'assistants-iac']);
  });

  it('shows a change to a __proto__ metadata entry, and applies it', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${dir}/assistants.yaml`, MANIFEST.replace('metadata: { __proto__: "x" }', 'metadata: { __proto__: "y" }'));
    const plan = await cli('plan', '--detailed-exitcode');
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toMatch(/~ "__proto__" = "x" -> "y"/);
    expect((await cli('apply', '--auto-approve')).code).toBe(0);
    expect((await cli('plan', '--detailed-exitcode')).code).toBe(0);
  });

  it('state list and show name them, and destroy deletes everything', async () => {
    const list = await cli('state', 'list');
    expect(list.stdout).toMatch(/^constructor\tasst_/m);
    expect(list.stdout).toMatch(/^file:hasOwnProperty\tfile-/m);
    const show = await cli('state', 'show', 'file:toString');
    expect(show.code, show.stderr).toBe(0);
    const missing = await cli('state', 'show', 'valueOf');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('not in the state: valueOf');
    const destroyed = await cli('destroy', '--auto-approve');
    expect(destroyed.code, destroyed.stderr).toBe(0);
    expect(destroyed.stdout).toContain('0 added, 0 changed, 2 destroyed; files: 0 uploaded, 4 deleted.');
    expect((await cli('plan', '--json')).stdout).toContain('"add": 2');
  });
});
