/**
 * The key canary: secrets of the CI job (the API key, GITHUB_TOKEN, a connection string)
 * never reach a plan in any form, the state, an error or the server, whatever the
 * manifest says; a secret the manifest declares (`sensitive: true`, set through
 * ASSISTANTS_VAR_NAME) reaches the server and nothing else.
 */
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssistantsApi, createConfiguration } from '../../src/api/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeProject, runCli, writeFiles, type CliResult } from './cli.js';

const GITHUB_TOKEN = 'ghs_canaryGithubToken0123456789';
const PG_CONN_STR = 'postgres://ci:canaryPgPassword@db.internal/prod';
const DECLARED = 'canary-declared-secret-Zx81Qw';

const HOSTILE = `version: 1
project: leak
variables:
  model:
    default: "\${env.OPENAI_API_KEY}"
environments:
  default:
    variables:
      model: "\${env.GITHUB_TOKEN}"
files:
  faq:
    path: "docs/\${env.PG_CONN_STR}.md"
assistants:
  a:
    name: "\${env.OPENAI_API_KEY}"
    model: "\${var.model}"
    description: "\${env.GITHUB_TOKEN:-x}"
    instructions: "\${env.PG_CONN_STR}"
    tools:
      - type: retrieval
      - type: function
        function:
          name: f
          description: "\${env.OPENAI_API_KEY}"
          parameters_file: "\${env.GITHUB_TOKEN}.json"
    files: [faq]
    metadata:
      k: "\${env.OPENAI_API_KEY}"
  b:
    model: gpt-4
    instructions_file: "\${env.GITHUB_TOKEN}"
`;

const DECLARING = (extra = ''): string => `version: 1
project: secrets
variables:
  support_token:
    description: Handed to the assistant; set ASSISTANTS_VAR_support_token in CI.
    sensitive: true
files:
  faq: { path: docs/faq.md }
assistants:
  support:
    name: "Support \${var.support_token}"
    model: gpt-4
    description: "d \${var.support_token}"
    instructions: "Use \${var.support_token} when asked."
    tools:
      - type: retrieval
      - type: function
        function:
          name: lookup
          description: "token \${var.support_token}"
          parameters: { type: object }
    files: [faq]
    metadata:
      team: care
      token: "\${var.support_token}"
  ops:
    model: "\${var.support_token}"
${extra}`;

let server: TestServer;
let api: AssistantsApi;
const dirs: string[] = [];
beforeAll(async () => {
  server = await startTestServer();
  api = new AssistantsApi(createConfiguration({ apiKey: server.apiKey, baseUrl: server.url }));
});
afterAll(async () => {
  await server.close();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function project(files: Record<string, string>): Promise<string> {
  const dir = await makeProject(files);
  dirs.push(dir);
  return dir;
}

const ciEnv = (declared = DECLARED): Record<string, string> => ({
  OPENAI_API_KEY: server.apiKey,
  GITHUB_TOKEN,
  PG_CONN_STR,
  ASSISTANTS_VAR_support_token: declared,
});

function expectNoSecret(text: string, ...secrets: string[]): void {
  for (const secret of [server.apiKey, GITHUB_TOKEN, PG_CONN_STR, 'canaryPgPassword', ...secrets]) expect(text).not.toContain(secret);
}

const output = (r: CliResult): string => r.stdout + r.stderr;

/** Every file under `dir` (state, journal, saved plans, the local server's data), as text. */
async function everythingWritten(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const texts = await Promise.all(entries.filter((e) => e.isFile()).map((e) => readFile(join(e.parentPath, e.name), 'utf8')));
  return texts.join('\n');
}

describe('a manifest cannot read the environment it was not given', () => {
  it('${env.*} in every field fails validation with a positioned error per use, and plan sends nothing', async () => {
    const dir = await project({ 'assistants.yaml': HOSTILE, 'docs/x.md': 'x' });
    const env = ciEnv();
    const validate = await runCli(['validate'], { cwd: dir, env });
    expect(validate.code).toBe(1);
    expectNoSecret(output(validate));
    const lines = validate.stderr.trim().split('\n').slice(1);
    expect(lines).toHaveLength(10);
    for (const line of lines) expect(line).toMatch(/^assistants\.yaml:\d+:\d+: "\$\{env\.[A-Z_]+(:-x)?\}" reads the process environment; a manifest reads it only through a declared variable: /);
    expect(lines[0]).toBe(
      'assistants.yaml:5:15: "${env.OPENAI_API_KEY}" reads the process environment; a manifest reads it only through a declared variable: declare one under variables: (sensitive: true for a secret), write ${var.NAME} here, and set ASSISTANTS_VAR_NAME',
    );
    const before = server.stats().requests;
    for (const format of [[], ['--json'], ['--markdown'], ['--out', 'tfplan.json']]) {
      const plan = await runCli(['plan', '--endpoint', server.url, ...format], { cwd: dir, env });
      expect(plan.code).toBe(1);
      expect(plan.stdout).toBe('');
      expectNoSecret(output(plan));
    }
    expect(server.stats().requests).toBe(before);
    expectNoSecret(await everythingWritten(dir));
  });

  it('a variable named like a secret must be declared sensitive', async () => {
    const dir = await project({
      'assistants.yaml': 'version: 1\nproject: leak\nvariables:\n  github_token: {}\n  dbPassword: {default: x}\nassistants:\n  a:\n    model: gpt-4\n    name: "${var.github_token} ${var.dbPassword}"\n',
    });
    const validate = await runCli(['validate'], { cwd: dir, env: { ...ciEnv(), ASSISTANTS_VAR_github_token: GITHUB_TOKEN } });
    expect(validate.code).toBe(1);
    expectNoSecret(output(validate));
    expect(validate.stderr.trim().split('\n').slice(1)).toEqual([
      'assistants.yaml:4:3: variable "github_token" is named like a secret ("token"): declare it sensitive: true so its value is shown as (sensitive) and kept out of plans and state',
      'assistants.yaml:5:3: variable "dbPassword" is named like a secret ("password"): declare it sensitive: true so its value is shown as (sensitive) and kept out of plans and state',
    ]);
  });
});

describe('a declared sensitive variable', () => {
  let dir: string;
  const cli = (args: string[], declared?: string) => runCli([...args, '--endpoint', server.url], { cwd: dir, env: ciEnv(declared) });

  beforeAll(async () => {
    dir = await project({ 'assistants.yaml': DECLARING(), 'docs/faq.md': '# FAQ\n' });
  });

  it('is (sensitive) in validate --print and --json', async () => {
    for (const args of [['validate', '--print'], ['validate', '--json']]) {
      const result = await runCli(args, { cwd: dir, env: ciEnv() });
      expect(result.code, result.stderr).toBe(0);
      expectNoSecret(output(result), DECLARED);
      expect(result.stdout).toContain('(sensitive)');
    }
  });

  it('is (sensitive) in the plan as text, JSON, Markdown and a saved plan', async () => {
    const text = await cli(['plan']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/\+ name += \(sensitive\)$/m);
    expect(text.stdout).toMatch(/\+ "token" += \(sensitive\)$/m);
    expect(text.stdout).toMatch(/\+ "team" += "care"$/m);
    const json = await cli(['plan', '--json']);
    const plan = JSON.parse(json.stdout) as { assistants: Array<{ key: string; sensitive: Array<{ path: string }>; after: Record<string, unknown> }> };
    const support = plan.assistants.find((a) => a.key === 'support')!;
    expect(support.sensitive.map((part) => part.path)).toEqual(['name', 'description', 'instructions', 'tools', 'metadata.token']);
    expect(support.after).toMatchObject({ name: '(sensitive)', model: 'gpt-4', metadata: { team: 'care', token: '(sensitive)' } });
    const markdown = await cli(['plan', '--markdown']);
    const saved = await cli(['plan', '--out', 'tfplan.json']);
    for (const result of [text, json, markdown, saved]) {
      expect(result.code).toBe(0);
      expectNoSecret(output(result), DECLARED);
    }
    expectNoSecret(await readFile(join(dir, 'tfplan.json'), 'utf8'), DECLARED);
  });

  it('is sent to the server by apply, and kept out of the state and everything else written', async () => {
    const applied = await cli(['apply', '--auto-approve']);
    expect(applied.code, applied.stderr).toBe(0);
    expectNoSecret(output(applied), DECLARED);
    const live = (await api.listAssistants({ limit: 100 })).data;
    const support = live.find((a) => a.metadata?.['assistants-iac'] === 'secrets/default/support')!;
    expect(support).toMatchObject({ name: `Support ${DECLARED}`, description: `d ${DECLARED}`, metadata: { token: DECLARED } });
    expect(live.find((a) => a.metadata?.['assistants-iac'] === 'secrets/default/ops')!.model).toBe(DECLARED);
    expectNoSecret(await everythingWritten(dir), DECLARED);
    const again = await cli(['plan', '--detailed-exitcode']);
    expect(again.code, again.stdout).toBe(0);
  });

  it('changed, shows as a change without either value, and makes a saved plan stale', async () => {
    const saved = await cli(['plan', '--out', 'rotate.json'], 'canary-rotated-Pq42');
    expect(saved.code, saved.stderr).toBe(0);
    const plan = await cli(['plan', '--detailed-exitcode'], 'canary-rotated-Pq42');
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/~ name += \(sensitive\)$/m);
    expect(plan.stdout).toContain('Plan: 0 to add, 2 to change, 0 to destroy.');
    expectNoSecret(output(plan) + (await readFile(join(dir, 'rotate.json'), 'utf8')), DECLARED, 'canary-rotated-Pq42');
    const stale = await cli(['apply', 'rotate.json'], 'canary-rotated-other');
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^Error: Refusing to apply rotate\.json: the manifest or a value it reads \(a file, a variable, a sensitive value\) changed since the plan was made/);
    expectNoSecret(output(stale), DECLARED, 'canary-rotated-Pq42', 'canary-rotated-other');
    const applied = await cli(['apply', 'rotate.json'], 'canary-rotated-Pq42');
    expect(applied.code, applied.stderr).toBe(0);
    const live = (await api.listAssistants({ limit: 100 })).data.find((a) => a.metadata?.['assistants-iac'] === 'secrets/default/support')!;
    expect(live.name).toBe('Support canary-rotated-Pq42');
    expectNoSecret(await everythingWritten(dir), DECLARED, 'canary-rotated-Pq42');
  });

  it('stays (sensitive) when its assistant leaves the manifest, and is destroyed', async () => {
    await writeFiles(dir, { 'assistants.yaml': 'version: 1\nproject: secrets\nassistants: {}\n' });
    const plan = await cli(['plan'], 'unused');
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/- name += \(sensitive\)$/m);
    expectNoSecret(output(plan), 'canary-rotated-Pq42');
    const destroyed = await cli(['destroy', '--auto-approve'], 'unused');
    expect(destroyed.code, destroyed.stderr).toBe(0);
    expectNoSecret(output(destroyed), 'canary-rotated-Pq42');
  });
});
