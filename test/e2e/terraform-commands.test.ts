/**
 * The commands a Terraform user reaches for, against a real local server: state mv, apply
 * --replace, show, output, --var-file and fmt. Each command's first run here is the built
 * CLI (`real`), and so is every read of a saved plan (apply and show read it from the
 * process's folder); the set-up and the other runs are in-process (`cli`), the same program.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AssistantsApi, createConfiguration } from '../../src/api/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeProject, runCli, runCliInProcess, withEndpoint, type CliResult } from './cli.js';

const MANIFEST = (key: string, model = '${var.model}'): string => `version: 1
project: shop
variables:
  model: { default: gpt-4 }
  motto: { default: plain, sensitive: true }
assistants:
  ${key}:
    name: Support
    model: ${model}
    instructions: Help.
    metadata:
      motto: \${var.motto}
`;

let server: TestServer;
let api: AssistantsApi;
let dir: string;
const real = (...args: string[]): Promise<CliResult> => runCli(withEndpoint(args, server.url), { cwd: dir, env: { OPENAI_API_KEY: server.apiKey } });
const cli = (...args: string[]): Promise<CliResult> => runCliInProcess(withEndpoint(args, server.url), { cwd: dir, env: { OPENAI_API_KEY: server.apiKey } });

beforeAll(async () => {
  server = await startTestServer();
  api = new AssistantsApi(createConfiguration({ apiKey: server.apiKey, baseUrl: server.url }));
});
afterAll(() => server.close());
beforeEach(async () => {
  await fetch(`${server.origin}/_admin/reset`, { method: 'POST' });
  dir = await makeProject({ 'assistants.yaml': MANIFEST('support') });
  expect((await cli('apply', '--auto-approve')).code).toBe(0);
});

const idOf = async (key: string): Promise<string> => (await cli('output', key)).stdout.trim();

describe('state mv', () => {
  it('renames the key keeping the assistant and its id, retagged, so the renamed manifest plans no change', async () => {
    const id = await idOf('support');
    const moved = await real('state', 'mv', 'support', 'helpdesk');
    expect(moved).toMatchObject({ code: 0, stdout: `Moved support to helpdesk (${id}), retagged.\n` });
    expect((await cli('state', 'list')).stdout).toBe(`helpdesk\t${id}\n`);
    expect((await api.getAssistant({ assistantId: id })).metadata?.['assistants-iac']).toBe('shop/default/helpdesk');
    await writeFile(join(dir, 'assistants.yaml'), MANIFEST('helpdesk'));
    const plan = await cli('plan', '--detailed-exitcode');
    expect(plan.code, plan.stdout).toBe(0);
    expect((await api.listAssistants({ limit: 100 })).data).toHaveLength(1);
  });

  it('refuses a key not in the state, and a key already in it, changing nothing', async () => {
    const missing = await cli('state', 'mv', 'nobody', 'helpdesk');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^Error: state mv: nobody is not in the state at .*; "assistants state list" shows what it holds\.\n$/);
    await writeFile(join(dir, 'assistants.yaml'), `${MANIFEST('support')}  other:\n    model: gpt-4\n`);
    expect((await cli('apply', '--auto-approve')).code).toBe(0);
    const onto = await cli('state', 'mv', 'support', 'other');
    expect(onto.code).toBe(1);
    expect(onto.stderr).toContain(`Error: state mv: other is already in the state (${await idOf('other')})`);
    const id = await idOf('support');
    expect((await api.getAssistant({ assistantId: id })).metadata?.['assistants-iac']).toBe('shop/default/support');
  });
});

describe('--replace', () => {
  it('deletes and creates the assistant again, a new id under the same key; a saved plan does the same', async () => {
    const old = await idOf('support');
    const applied = await real('apply', '--replace', 'support', '--auto-approve');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('Plan: 1 to add, 0 to change, 1 to destroy.');
    const renewed = await idOf('support');
    expect(renewed).not.toBe(old);
    expect((await api.listAssistants({ limit: 100 })).data.map((a) => a.id)).toEqual([renewed]);
    expect((await cli('plan', '--detailed-exitcode')).code).toBe(0);

    expect((await cli('plan', '--replace', 'support', '--out', 'replace.plan')).code).toBe(0);
    const saved = await real('apply', 'replace.plan');
    expect(saved.code, saved.stderr).toBe(0);
    expect(await idOf('support')).not.toBe(renewed);
    expect((await api.listAssistants({ limit: 100 })).data).toHaveLength(1);
  });

  it('refuses a key not in the manifest, a protected assistant, and --replace with a saved plan, changing nothing', async () => {
    const id = await idOf('support');
    const unknown = await cli('apply', '--replace', 'nobody', '--auto-approve');
    expect(unknown).toMatchObject({ code: 1, stderr: 'Error: --replace nobody: no assistant with that key in the manifest, so there is nothing to create again (keys: support).\n' });
    await writeFile(join(dir, 'assistants.yaml'), `${MANIFEST('support')}    lifecycle:\n      prevent_destroy: true\n`);
    const protectedOne = await cli('apply', '--replace', 'support', '--auto-approve');
    expect(protectedOne.code).toBe(1);
    expect(protectedOne.stderr).toContain('protected by lifecycle.prevent_destroy');
    expect((await cli('plan', '--out', 'p.plan')).code).toBe(0);
    expect((await cli('apply', 'p.plan', '--replace', 'support')).stderr).toContain('give --target, --replace, --refresh-only, --var and --promote-from to "assistants plan" instead');
    expect(await idOf('support')).toBe(id);
  });
});

describe('show and output', () => {
  it('output prints key -> id and file -> id, as text, JSON, or one id; no state is an error', async () => {
    const id = await idOf('support');
    expect(id).toMatch(/^asst_/);
    expect((await real('output')).stdout).toBe(`support\t${id}\n`);
    expect(JSON.parse((await cli('output', '--json')).stdout)).toEqual({ assistants: { support: id }, files: {} });
    const none = await cli('output', '--env', 'prod');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^Error: .*prod\.json: no state yet/);
    const unknown = await cli('output', 'nobody');
    expect(unknown.code).toBe(1);
  });

  it('show PLANFILE prints a saved plan as plan did, or its JSON; show alone prints the state with its values, secrets hidden', async () => {
    await writeFile(join(dir, 'assistants.yaml'), MANIFEST('support', 'gpt-4-turbo'));
    const plan = await cli('plan', '--out', 'next.plan');
    const shown = await real('show', 'next.plan');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toBe(plan.stdout);
    expect(JSON.parse((await real('show', 'next.plan', '--json')).stdout)).toMatchObject({ project: 'shop', summary: { change: 1 } });

    const state = await cli('show');
    expect(state.code, state.stderr).toBe(0);
    expect(state.stdout).toContain('model: gpt-4\n');
    expect(state.stdout).toContain('motto: (sensitive)');
    expect(state.stdout).not.toContain('plain');
    const json = JSON.parse((await cli('show', '--json')).stdout) as { assistants: { support: { id: string; values: { name: string } } } };
    expect(json.assistants.support).toMatchObject({ id: await idOf('support'), values: { name: 'Support' } });
  });
});

describe('--var-file', () => {
  it('sets variables from YAML or JSON, under --var', async () => {
    await writeFile(join(dir, 'vars.yaml'), '# the model\nmodel: gpt-4-turbo\n');
    await writeFile(join(dir, 'vars.json'), '{"model": "gpt-3.5-turbo"}');
    const fromYaml = JSON.parse((await real('plan', '--json', '--var-file', 'vars.yaml')).stdout) as { assistants: Array<{ after: { model: string } }> };
    expect(fromYaml.assistants[0]?.after.model).toBe('gpt-4-turbo');
    const fromJson = JSON.parse((await cli('plan', '--json', '--var-file', 'vars.json')).stdout) as typeof fromYaml;
    expect(fromJson.assistants[0]?.after.model).toBe('gpt-3.5-turbo');
    const over = JSON.parse((await cli('plan', '--json', '--var-file', 'vars.json', '--var', 'model=gpt-4o')).stdout) as typeof fromYaml;
    expect(over.assistants[0]?.after.model).toBe('gpt-4o');
  });

  it('a file that does not parse, or is no mapping of names to values, is a positioned error before anything runs', async () => {
    await writeFile(join(dir, 'broken.yaml'), 'model: gpt-4\n  bad: [\n');
    const broken = await cli('plan', '--var-file', 'broken.yaml');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^Error: --var-file broken\.yaml: \d+ problems\.\nbroken\.yaml:1:\d+: YAML syntax error/);
    await writeFile(join(dir, 'list.json'), '{"model": ["a"]}');
    const list = await cli('validate', '--var-file', 'list.json');
    expect(list.stderr).toBe('Error: --var-file: list.json:1:11: model must be a string, a number or true/false\n');
    const missing = await cli('plan', '--var-file', 'nowhere.yaml');
    expect(missing.stderr).toBe('Error: --var-file nowhere.yaml does not exist.\n');
  });
});

describe('fmt', () => {
  const MESSY = `# the shop's assistants
project: shop   # scope of the tags
version: 1
assistants:
  support:
    # how it behaves
    instructions: Help.
    model:    gpt-4
    name: Support # shown to users
`;

  it('--check fails on a manifest out of layout; fmt rewrites it keeping comments, and it plans the same', async () => {
    await writeFile(join(dir, 'assistants.yaml'), MESSY);
    const check = await real('fmt', '--check');
    expect(check).toMatchObject({ code: 1, stderr: 'Error: assistants.yaml is not in the canonical layout; run "assistants fmt".\n' });
    expect(await readFile(join(dir, 'assistants.yaml'), 'utf8')).toBe(MESSY);
    const before = (await cli('plan')).stdout;
    expect(await cli('fmt')).toMatchObject({ code: 0, stdout: 'assistants.yaml\n' });
    expect(await readFile(join(dir, 'assistants.yaml'), 'utf8')).toBe(`# the shop's assistants
version: 1
project: shop # scope of the tags
assistants:
  support:
    name: Support # shown to users
    model: gpt-4
    # how it behaves
    instructions: Help.
`);
    expect((await cli('plan')).stdout).toBe(before);
    expect(await cli('fmt', '--check')).toMatchObject({ code: 0, stdout: '' });
  });

  it('refuses YAML it cannot read, positioned', async () => {
    await writeFile(join(dir, 'assistants.yaml'), 'version: 1\nproject: [\n');
    const result = await cli('fmt');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: assistants\.yaml is not valid YAML, so it cannot be formatted\.\nassistants\.yaml:\d+:\d+: /);
  });
});
