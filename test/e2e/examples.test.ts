/**
 * Every example against a real local server: apply (the built CLI), then plan shows
 * nothing; an edit shows exactly that edit; apply converges; destroy leaves nothing we own
 * (prevent_destroy refuses in prod) and never touches an assistant made by hand. After the
 * first apply the commands run in-process: the examples are the subject here, not the process.
 */
import { appendFile, cp } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssistantsApi, createConfiguration } from '../../src/api/index.js';
import type { Plan } from '../../src/plan/types.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeTempDir } from '../support/temp-dir.js';
import { runCli, runCliInProcess } from './cli.js';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');

const cases = [
  { example: 'quickstart', env: [], edited: 'faq.md', fileName: 'faq', protectedKey: null },
  { example: 'functions', env: [], edited: 'docs/cities.md', fileName: 'cities', protectedKey: 'planner' },
  { example: 'environments', env: ['--env', 'dev'], edited: 'files/runbook.md', fileName: 'runbook', protectedKey: null },
  { example: 'environments', env: ['--env', 'staging'], edited: 'files/runbook.md', fileName: 'runbook', protectedKey: null },
  { example: 'environments', env: ['--env', 'prod'], edited: 'files/runbook.md', fileName: 'runbook', protectedKey: 'triage' },
] as const;

let server: TestServer;
let api: AssistantsApi;
let bystanderId: string;
beforeAll(async () => {
  server = await startTestServer();
  api = new AssistantsApi(createConfiguration({ apiKey: server.apiKey, baseUrl: server.url }));
  bystanderId = (await api.createAssistant({ createAssistantRequest: { model: 'gpt-4', name: 'Not managed', metadata: { team: 'x' } } })).id;
});
afterAll(async () => server.close());

describe.each(cases)('examples/$example $env', ({ example, env, edited, fileName, protectedKey }) => {
  let dir: string;
  const options = () => ({ cwd: dir, env: { OPENAI_API_KEY: server.apiKey } });
  const real = (...args: string[]) => runCli([...args, ...env, '--endpoint', server.url], options());
  const cli = (...args: string[]) => runCliInProcess([...args, ...env, '--endpoint', server.url], options());
  const planJson = async (): Promise<Plan> => JSON.parse((await cli('plan', '--json')).stdout) as Plan;

  beforeAll(async () => {
    ({ dir } = await makeTempDir(`example-${example}-`));
    // Without the state and local data a run of the README's set-up leaves in the example.
    await cp(join(EXAMPLES, example), dir, { recursive: true, filter: (source) => basename(source) !== '.assistants' });
  });

  it('applies, then plans no changes', async () => {
    const applied = await real('apply', '--auto-approve');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/Apply complete! Resources: [1-9]\d* added, 0 changed, 0 destroyed/);
    const plan = await cli('plan', '--detailed-exitcode');
    expect(plan.code, plan.stdout).toBe(0);
  });

  it('shows exactly an edit of an attached file, applies it, and converges', async () => {
    await appendFile(join(dir, edited), '\nOne more line.\n');
    const text = await cli('plan', '--detailed-exitcode');
    expect(text.code).toBe(2);
    const plan = await planJson();
    expect(plan.files.filter((f) => f.action !== 'no-op').map((f) => [f.name, f.action, f.reason])).toEqual([[fileName, 'upload', 'changed-in-manifest']]);
    const updates = plan.assistants.filter((a) => a.action !== 'no-op');
    expect(updates.length).toBeGreaterThan(0);
    for (const update of updates) expect(update.changes.map((c) => [c.field, c.cause])).toEqual([['files', 'manifest']]);
    // The old upload is deleted once its replacement is attached: the plan counts it as apply does.
    expect(plan.summary).toMatchObject({ add: 0, destroy: 0, filesUpload: 1, filesDelete: 1 });
    expect(text.stdout).toContain('Files: 1 to upload, 1 to delete (the old copy of a replaced file).');
    const markdown = await cli('plan', '--markdown');
    expect(markdown.stdout).toContain('**Files: 1 to upload, 1 to delete (the old copy of a replaced file).**');
    const applied = await cli('apply', '--auto-approve');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`; files: 1 uploaded, 1 deleted.`);
    expect((await cli('plan', '--detailed-exitcode')).code).toBe(0);
  });

  it('destroy removes what this environment owns and nothing else', async () => {
    const destroyed = await cli('destroy', '--auto-approve');
    if (protectedKey) {
      expect(destroyed.code).toBe(1);
      expect(destroyed.stderr).toMatch(/^Error: Refusing to destroy 1 assistant protected by lifecycle.prevent_destroy\.\n/);
      expect(destroyed.stderr).toMatch(new RegExp(`assistants\\.yaml:\\d+:\\d+: assistants\\.${protectedKey} has lifecycle\\.prevent_destroy: true`));
      expect((await cli('plan', '--detailed-exitcode')).code).toBe(0);
      return;
    }
    expect(destroyed.code, destroyed.stderr).toBe(0);
    const plan = await planJson();
    expect(plan.assistants.every((a) => a.action === 'create')).toBe(true);
    expect((await api.getAssistant({ assistantId: bystanderId })).name).toBe('Not managed');
  });
});
