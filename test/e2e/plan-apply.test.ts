/**
 * The loop a user runs, end to end: the built CLI against the real local server.
 * apply -> plan shows nothing; an edit shows exactly that edit; drift made by hand shows
 * as drift; removal deletes; destroy leaves nothing we own and nothing else touched.
 */
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssistantsApi, createConfiguration, FilesApi } from '../../src/api/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeProject, runCli, runCliInProcess } from './cli.js';

const manifest = (instructions: string, extra = ''): string => `version: 1
project: shop
files:
  faq:
    path: docs/faq.md
assistants:
  support:
    name: Support
    model: gpt-4-turbo
    instructions: ${JSON.stringify(instructions)}
    tools:
      - type: retrieval
      - type: function
        function:
          name: lookup_order
          description: Find an order
          parameters:
            type: object
            properties:
              order_id: { type: string }
            required: [order_id]
    files: [faq]
    metadata:
      team: care
${extra}`;

const sales = `  sales:
    name: Sales
    model: gpt-4
    lifecycle:
      prevent_destroy: false
`;

let server: TestServer;
let api: AssistantsApi;
let dir: string;
let env: Record<string, string>;
const cli = (...args: string[]) => runCli([...args, '--endpoint', server.url], { cwd: dir, env });
/** The same command in this process: for the runs that prove what a command does, once a real process has proved it runs. */
const cliIn = (...args: string[]) => runCliInProcess([...args, '--endpoint', server.url], { cwd: dir, env });

beforeAll(async () => {
  server = await startTestServer();
  api = new AssistantsApi(createConfiguration({ apiKey: server.apiKey, baseUrl: server.url }));
  dir = await makeProject({ 'assistants.yaml': manifest('Be kind.', sales), 'docs/faq.md': '# FAQ\nShipping takes 3 days.\n' });
  env = { OPENAI_API_KEY: server.apiKey };
});
afterAll(async () => server.close());

async function owned(): Promise<Array<{ id: string; name: string | null; metadata: Record<string, string> | null }>> {
  const page = await api.listAssistants({ limit: 100 });
  return page.data.filter((a) => a.metadata?.['assistants-iac']?.startsWith('shop/'));
}

describe('plan and apply against the local server', () => {
  it('plans the creation of everything on a fresh account, and exits 2 with --detailed-exitcode', async () => {
    const result = await cli('plan', '--detailed-exitcode');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('Plan: 2 to add, 0 to change, 0 to destroy.');
  });

  it('applies, then a new plan shows no changes and exits 0', async () => {
    const bystander = await api.createAssistant({ createAssistantRequest: { model: 'gpt-4', name: 'Made by hand' } });
    const applied = await cli('apply', '--auto-approve');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('Apply complete! Resources: 2 added, 0 changed, 0 destroyed');
    // Without a terminal, progress is one line per finished operation, on stderr.
    expect(applied.stderr).toMatch(/^upload faq: done \(file-\w+\)$/m);
    expect(applied.stderr).toMatch(/^create support: done \(asst_\w+\)$/m);
    expect(applied.stdout).not.toContain(': done (');
    const mine = await owned();
    expect(mine.map((a) => a.name).sort()).toEqual(['Sales', 'Support']);
    // The first apply made .assistants/ and kept the hashes it computed, so the next plan reads no file again.
    const cachePath = join(dir, '.assistants', 'cache', 'file-hashes.json');
    expect((await stat(cachePath)).mode & 0o777).toBe(0o600);
    const cached = JSON.parse(await readFile(cachePath, 'utf8')) as { files: Record<string, { sha256: string }> };
    expect(Object.values(cached.files).map((f) => f.sha256)).toEqual([createHash('sha256').update('# FAQ\nShipping takes 3 days.\n').digest('hex')]);
    const plan = await cli('plan', '--detailed-exitcode');
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain('No changes');
    const statePath = join(dir, '.assistants', 'state', 'default.json');
    expect((await stat(statePath)).mode & 0o777).toBe(0o600);
    const stateText = await readFile(statePath, 'utf8');
    expect(stateText).not.toContain(server.apiKey);
    expect((await api.getAssistant({ assistantId: bystander.id })).name).toBe('Made by hand');
  });

  it('shows exactly an edit to the manifest, as JSON and Markdown too', async () => {
    await writeFile(join(dir, 'assistants.yaml'), manifest('Be kind and brief.', sales));
    const text = await cliIn('plan', '--detailed-exitcode');
    expect(text.code).toBe(2);
    expect(text.stdout).toContain('Plan: 0 to add, 1 to change, 0 to destroy.');
    expect(text.stdout).toContain('Be kind and brief.');
    const json = await cliIn('plan', '--json');
    const plan = JSON.parse(json.stdout) as { assistants: Array<{ key: string; action: string; changes: Array<{ field: string; cause: string }> }> };
    const support = plan.assistants.find((a) => a.key === 'support')!;
    expect(support.action).toBe('update');
    expect(support.changes).toEqual([expect.objectContaining({ field: 'instructions', cause: 'manifest' })]);
    expect(plan.assistants.find((a) => a.key === 'sales')!.action).toBe('no-op');
    const markdown = await cliIn('plan', '--markdown');
    expect(markdown.stdout.indexOf('Plan: 0 to add, 1 to change, 0 to destroy.')).toBeLessThan(markdown.stdout.indexOf('|'));
  });

  it('applies the edit and converges', async () => {
    const applied = await cliIn('apply', '--auto-approve');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('0 added, 1 changed, 0 destroyed');
    expect((await cliIn('plan', '--detailed-exitcode')).code).toBe(0);
  });

  it('reports a change made by hand as drift, and apply restores the manifest', async () => {
    const support = (await owned()).find((a) => a.name === 'Support')!;
    await api.modifyAssistant({ assistantId: support.id, modifyAssistantRequest: { model: 'gpt-3.5-turbo' } });
    const json = await cliIn('plan', '--json', '--detailed-exitcode');
    expect(json.code).toBe(2);
    const plan = JSON.parse(json.stdout) as { assistants: Array<{ key: string; reason: string; changes: Array<{ field: string; before: unknown; after: unknown; cause: string }> }> };
    const entry = plan.assistants.find((a) => a.key === 'support')!;
    expect(entry.reason).toBe('drift');
    expect(entry.changes).toEqual([{ field: 'model', before: 'gpt-3.5-turbo', after: 'gpt-4-turbo', cause: 'drift' }]);
    expect((await cliIn('apply', '--auto-approve')).code).toBe(0);
    expect((await api.getAssistant({ assistantId: support.id })).model).toBe('gpt-4-turbo');
  });

  it('converges in one apply after an attached file is deleted by hand; "No changes" only with exit 0', async () => {
    const files = new FilesApi(createConfiguration({ apiKey: server.apiKey, baseUrl: server.url }));
    const [faq] = (await files.listFiles({})).data.filter((f) => f.filename === 'faq.md');
    await files.deleteFile({ fileId: faq!.id });
    const before = await cliIn('plan', '--detailed-exitcode');
    expect(before.code).toBe(2);
    expect(before.stdout).not.toContain('No changes');
    expect((await cliIn('apply', '--auto-approve')).code).toBe(0);
    const after = await cliIn('plan', '--detailed-exitcode');
    expect(after.stdout).toContain('No changes. Your assistants match the manifest.');
    expect(after.code, after.stdout).toBe(0);
  });

  it('deletes an assistant removed from the manifest', async () => {
    await writeFile(join(dir, 'assistants.yaml'), manifest('Be kind and brief.'));
    const applied = await cliIn('apply', '--auto-approve');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('0 added, 0 changed, 1 destroyed');
    expect((await owned()).map((a) => a.name)).toEqual(['Support']);
  });

  it('refuses a saved plan once someone changed an assistant by hand', async () => {
    await writeFile(join(dir, 'assistants.yaml'), manifest('Be kind, brief and exact.'));
    const saved = await cli('plan', '--out', 'tfplan.json');
    expect(saved.code).toBe(0);
    expect((await stat(join(dir, 'tfplan.json'))).mode & 0o777).toBe(0o600);
    const support = (await owned())[0]!;
    await api.modifyAssistant({ assistantId: support.id, modifyAssistantRequest: { name: 'Support (hand edit)' } });
    const refused = await cli('apply', 'tfplan.json');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^Error: Refusing to apply tfplan.json: asst_\w+ was changed since\./);
    expect((await api.getAssistant({ assistantId: support.id })).instructions).toBe('Be kind and brief.');
    const fresh = await cli('plan', '--out', 'tfplan.json');
    expect(fresh.code).toBe(0);
    const appliedSaved = await cli('apply', 'tfplan.json');
    expect(appliedSaved.code, appliedSaved.stderr).toBe(0);
    expect((await api.getAssistant({ assistantId: support.id })).name).toBe('Support');
  });

  it('refuses a saved plan once the manifest changed', async () => {
    await writeFile(join(dir, 'assistants.yaml'), manifest('Be kind, brief, exact and warm.'));
    expect((await cli('plan', '--out', 'tfplan.json')).code).toBe(0);
    await writeFile(join(dir, 'assistants.yaml'), manifest('Be curt.'));
    const refused = await cli('apply', 'tfplan.json');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'Error: Refusing to apply tfplan.json: the manifest or a value it reads (a file, a variable, a sensitive value) changed since the plan was made. Run "assistants plan --out tfplan.json" again and review it.\n',
    );
    expect((await api.getAssistant({ assistantId: (await owned())[0]!.id })).instructions).toBe('Be kind, brief and exact.');
    await writeFile(join(dir, 'assistants.yaml'), manifest('Be kind, brief and exact.'));
  });

  it('destroy deletes what we own and nothing else', async () => {
    const destroyed = await cli('destroy', '--auto-approve');
    expect(destroyed.code, destroyed.stderr).toBe(0);
    expect(await owned()).toEqual([]);
    const rest = await api.listAssistants({ limit: 100 });
    expect(rest.data.map((a) => a.name)).toEqual(['Made by hand']);
    expect((await cli('plan', '--detailed-exitcode')).code).toBe(2);
  });
});

describe('errors a user can cause', () => {
  it('a missing API key is one sentence, exit 1, nothing sent', async () => {
    const before = server.stats().requests;
    const result = await runCli(['plan', '--endpoint', server.url], { cwd: dir, env: { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: OPENAI_API_KEY is not set: .*\n$/);
    expect(server.stats().requests).toBe(before);
  });

  it('a rejected key is one sentence without the key', async () => {
    const guarded = await startTestServer({ apiKey: 'sk-right-key-000000000000' });
    try {
      const result = await runCli(['plan', '--endpoint', guarded.url], { cwd: dir, env: { OPENAI_API_KEY: 'sk-wrong-key-123456789012345' } });
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).not.toContain('sk-wrong-key-123456789012345');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await guarded.close();
    }
  });

  it('an unreachable endpoint is one sentence naming it', async () => {
    const result = await runCli(['plan', '--endpoint', 'http://127.0.0.1:9/v1'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('127.0.0.1:9');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('plan --out refuses to overwrite a file that is not a saved plan', async () => {
    const manifestBefore = await readFile(join(dir, 'assistants.yaml'), 'utf8');
    await writeFile(join(dir, 'notes.txt'), 'keep me\n');
    for (const target of ['assistants.yaml', 'notes.txt', 'docs']) {
      const result = await cli('plan', '--out', target);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(new RegExp(`^Error: --out ${target}: .* not a saved plan; .*\n$`));
    }
    expect(await readFile(join(dir, 'assistants.yaml'), 'utf8')).toBe(manifestBefore);
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('keep me\n');
    expect((await cli('plan', '--out', 'tfplan.json')).code).toBe(0);
    expect((await cli('plan', '--out', 'tfplan.json')).code).toBe(0);
  });

  it.each(['0', '0s', '0ms', '-5s', '100000h', 'soon'])('--request-timeout %s is refused with one line naming the option, nothing sent', async (value) => {
    const before = server.stats().requests;
    const result = await cli('plan', `--request-timeout=${value}`);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: --request-timeout "[^"]*": [^\n]+\n$/);
    expect(server.stats().requests).toBe(before);
  });

  it('apply without a terminal needs --auto-approve and changes nothing', async () => {
    const before = (await owned()).length;
    const result = await cli('apply');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--auto-approve');
    expect((await owned()).length).toBe(before);
  });
});
