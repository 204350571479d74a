/**
 * The rest of the lifecycle through the built CLI: what a no-change plan costs in
 * requests, import, state rebuild after the state is lost, Ctrl-C during apply, and
 * `--endpoint local` keeping its data between processes.
 */
import { existsSync } from 'node:fs';
import { cp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssistantsApi, createConfiguration, FilesApi } from '../../src/api/index.js';
import { parseState } from '../../src/state/format.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeTempDir } from '../support/temp-dir.js';
import { makeProject, runCli, runCliInProcess, startCli, waitForOutput, writeFiles } from './cli.js';

function fleet(count: number, project = 'fleet'): string {
  const lines = ['version: 1', `project: ${project}`, 'assistants:'];
  for (let i = 0; i < count; i++) lines.push(`  a${i}:`, `    name: Assistant ${i}`, '    model: gpt-4', `    instructions: "Help with ${i}."`);
  return `${lines.join('\n')}\n`;
}

let server: TestServer;
let api: AssistantsApi;
let files: FilesApi;
beforeAll(async () => {
  server = await startTestServer();
  api = new AssistantsApi(createConfiguration({ apiKey: server.apiKey, baseUrl: server.url }));
  files = new FilesApi(createConfiguration({ apiKey: server.apiKey, baseUrl: server.url }));
});
afterAll(async () => server.close());

const stateOf = async (dir: string) => parseState(await readFile(join(dir, '.assistants/state/default.json'), 'utf8'), 'state');

describe('request cost of a no-change plan', () => {
  it('plans 201 managed assistants in ceil(201/100) list pages + 1 files listing = 4 requests', async () => {
    // Two full pages and a last one of one assistant.
    const dir = await makeProject({ 'assistants.yaml': fleet(201) });
    const env = { OPENAI_API_KEY: server.apiKey };
    expect((await runCliInProcess(['apply', '--auto-approve', '--endpoint', server.url, '--parallelism', '20'], { cwd: dir, env })).code).toBe(0);
    const before = server.stats();
    const plan = await runCli(['plan', '--detailed-exitcode', '--endpoint', server.url], { cwd: dir, env });
    expect(plan.code, plan.stdout).toBe(0);
    const after = server.stats();
    expect(after.requests - before.requests).toBe(4);
    expect((after.byRoute['GET /v1/assistants'] ?? 0) - (before.byRoute['GET /v1/assistants'] ?? 0)).toBe(3);
    expect((after.byRoute['GET /v1/files'] ?? 0) - (before.byRoute['GET /v1/files'] ?? 0)).toBe(1);
    expect((await runCliInProcess(['destroy', '--auto-approve', '--endpoint', server.url, '--parallelism', '20'], { cwd: dir, env })).code).toBe(0);
  }, 60_000);
});

describe('import and state rebuild', () => {
  it('imports an assistant made by hand, tags it, and plans only the manifest\'s differences', async () => {
    const dir = await makeProject({ 'assistants.yaml': fleet(1, 'imports') });
    const env = { OPENAI_API_KEY: server.apiKey };
    const handmade = await api.createAssistant({ createAssistantRequest: { model: 'gpt-4', name: 'Assistant 0', metadata: { owner: 'ops' } } });
    const unknownKey = await runCliInProcess(['import', 'nope', handmade.id, '--endpoint', server.url], { cwd: dir, env });
    expect(unknownKey.code).toBe(1);
    expect(unknownKey.stderr).toMatch(/^Error: import nope: the manifest has no assistant with that key/);
    const imported = await runCli(['import', 'a0', handmade.id, '--endpoint', server.url], { cwd: dir, env });
    expect(imported.code, imported.stderr).toBe(0);
    expect((await api.getAssistant({ assistantId: handmade.id })).metadata).toEqual({ owner: 'ops', 'assistants-iac': 'imports/default/a0' });
    const plan = JSON.parse((await runCliInProcess(['plan', '--json', '--endpoint', server.url], { cwd: dir, env })).stdout) as {
      summary: { add: number; change: number };
      assistants: Array<{ id: string; changes: Array<{ field: string; cause: string }> }>;
    };
    expect(plan.summary).toMatchObject({ add: 0, change: 1 });
    expect(plan.assistants[0]!.id).toBe(handmade.id);
    expect(plan.assistants[0]!.changes.map((c) => [c.field, c.cause])).toEqual([
      ['instructions', 'manifest'],
      ['metadata', 'manifest'],
    ]);
    const again = await runCliInProcess(['import', 'a0', handmade.id, '--endpoint', server.url], { cwd: dir, env });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already managed');
  });

  it('rebuilds a lost state from the ownership tags, files included, and then plans no changes', async () => {
    const dir = await makeProject({
      'assistants.yaml': `${fleet(3, 'rebuild')}    files: [guide]\nfiles:\n  guide:\n    path: guide.md\n`,
      'guide.md': '# Guide\n',
    });
    const env = { OPENAI_API_KEY: server.apiKey };
    expect((await runCliInProcess(['apply', '--auto-approve', '--endpoint', server.url], { cwd: dir, env })).code).toBe(0);
    const original = await stateOf(dir);
    await rm(join(dir, '.assistants'), { recursive: true });
    const lost = await runCliInProcess(['plan', '--detailed-exitcode', '--endpoint', server.url], { cwd: dir, env });
    // Without a state the tagged assistants are adopted, not created twice.
    expect(lost.stdout).toContain('0 to add');
    const rebuilt = await runCli(['state', 'rebuild', '--endpoint', server.url], { cwd: dir, env });
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toContain('3 assistant(s), 1 file(s)');
    const state = await stateOf(dir);
    expect(Object.fromEntries(Object.entries(state.assistants).map(([k, r]) => [k, r.id]))).toEqual(
      Object.fromEntries(Object.entries(original.assistants).map(([k, r]) => [k, r.id])),
    );
    expect(state.files.guide?.id).toBe(original.files.guide?.id);
    const plan = await runCliInProcess(['plan', '--detailed-exitcode', '--endpoint', server.url], { cwd: dir, env });
    expect(plan.code, plan.stdout).toBe(0);
  });
});

describe('a state lost every run (the CI recipe without a kept state)', () => {
  it('re-uploads nothing, leaves no upload behind, and destroy deletes the uploads too', async () => {
    const dir = await makeProject({
      'assistants.yaml': `${fleet(2, 'stateless')}    files: [guide]\nfiles:\n  guide:\n    path: guide.md\n`,
      'guide.md': '# Guide\n',
    });
    const env = { OPENAI_API_KEY: server.apiKey };
    // The first apply is the built CLI; the runs after it are in-process, the same program.
    const real = (...args: string[]) => runCli([...args, '--endpoint', server.url], { cwd: dir, env });
    const cli = (...args: string[]) => runCliInProcess([...args, '--endpoint', server.url], { cwd: dir, env });
    const uploads = async (): Promise<string[]> => (await files.listFiles({})).data.filter((f) => f.filename === 'guide.md').map((f) => f.id);
    const before = await uploads();
    expect((await real('apply', '--auto-approve')).code).toBe(0);
    const first = (await uploads()).filter((id) => !before.includes(id));
    expect(first).toHaveLength(1);
    for (let run = 0; run < 2; run++) {
      await rm(join(dir, '.assistants'), { recursive: true });
      const applied = await cli('apply', '--auto-approve');
      expect(applied.code, applied.stderr).toBe(0);
      expect(applied.stdout).toContain('Resources: 0 added, 0 changed, 0 destroyed; files: 0 uploaded, 0 deleted.');
      expect((await stateOf(dir)).files.guide?.id).toBe(first[0]);
    }
    expect((await uploads()).filter((id) => !before.includes(id))).toEqual(first);
    await rm(join(dir, '.assistants'), { recursive: true });
    const destroyed = await cli('destroy', '--auto-approve');
    expect(destroyed.code, destroyed.stderr).toBe(0);
    expect(destroyed.stdout).toContain('2 destroyed; files: 0 uploaded, 1 deleted.');
    expect((await uploads()).filter((id) => !before.includes(id))).toEqual([]);
  });
});

describe('saved plans across checkouts', () => {
  it('applies a plan saved in one checkout from another at a different path', async () => {
    const first = await makeProject({
      'infra/assistants.yaml': 'version: 1\nproject: moved\nfiles:\n  faq:\n    path: docs/faq.md\nassistants:\n  a:\n    model: gpt-4\n    files: [faq]\n',
      'infra/docs/faq.md': '# FAQ\n',
    });
    const env = { OPENAI_API_KEY: server.apiKey };
    const saved = await runCli(['plan', '-f', 'infra/assistants.yaml', '--out', 'plan.json', '--endpoint', server.url], { cwd: first, env });
    expect(saved.code, saved.stderr).toBe(0);
    const plan = JSON.parse(await readFile(join(first, 'plan.json'), 'utf8')) as { files: Array<{ path: string }> };
    expect(plan.files.map((f) => f.path)).toEqual(['docs/faq.md']);
    const { dir: second } = await makeTempDir('assistants-e2e-moved-');
    await cp(first, second, { recursive: true });
    await rm(first, { recursive: true });
    const applied = await runCli(['apply', 'plan.json', '-f', 'infra/assistants.yaml', '--endpoint', server.url], { cwd: second, env });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('1 added');
    expect((await runCli(['plan', '-f', 'infra/assistants.yaml', '--detailed-exitcode', '--endpoint', server.url], { cwd: second, env })).code).toBe(0);
  });
});

describe('saved plans as printed', () => {
  it('apply PLANFILE works from the folder it was made in: it carries the manifest, environment and endpoint', async () => {
    const dir = await makeProject({
      'infra/assistants.yaml':
        'version: 1\nproject: printed\nenvironments:\n  staging: {}\n  prod: {}\nfiles:\n  faq:\n    path: docs/faq.md\nassistants:\n  a:\n    model: gpt-4\n    name: A (${environment})\n    files: [faq]\n',
      'infra/docs/faq.md': '# FAQ\n',
    });
    const env = { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined };
    const saved = await runCli(['plan', '-f', 'infra/assistants.yaml', '--env', 'staging', '--endpoint', 'local', '--out', 'plan.json'], { cwd: dir, env });
    expect(saved.code, saved.stderr).toBe(0);
    const printed = /apply it from this folder with: (assistants apply .*)\n/.exec(saved.stderr)?.[1];
    expect(printed).toBe('assistants apply plan.json');
    const plan = JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8')) as { manifest: string; environment: string; endpoint: string };
    expect([plan.manifest, plan.environment, plan.endpoint]).toEqual(['infra/assistants.yaml', 'staging', 'local']);

    for (const [option, value, named] of [['--env', 'prod', '--env staging'], ['-f', 'assistants.yaml', '-f infra/assistants.yaml'], ['--endpoint', server.url, '--endpoint local']]) {
      const refused = await runCli(['apply', 'plan.json', option!, value!], { cwd: dir, env: { OPENAI_API_KEY: server.apiKey } });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(`Error: plan.json was made with ${named}; a saved plan is applied as it was made: drop the option, or make a new plan with it.\n`);
    }

    const applied = await runCli(printed!.split(' ').slice(1), { cwd: dir, env });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('Apply complete! Resources: 1 added, 0 changed, 0 destroyed; files: 1 uploaded, 0 deleted.');
    expect(existsSync(join(dir, '.assistants'))).toBe(false);
    expect(existsSync(join(dir, 'infra/.assistants/state/staging.json'))).toBe(true);
    const again = await runCli(['plan', '-f', 'infra/assistants.yaml', '--env', 'staging', '--endpoint', 'local', '--detailed-exitcode'], { cwd: dir, env });
    expect(again.code, again.stdout).toBe(0);
  });
});

describe('--var', () => {
  it('sets a manifest variable for plan, and a malformed one is a usage error', async () => {
    const dir = await makeProject({
      'assistants.yaml': 'version: 1\nproject: vars\nvariables:\n  model:\n    default: gpt-4\nassistants:\n  a:\n    model: ${var.model}\n',
    });
    const env = { OPENAI_API_KEY: server.apiKey };
    const plan = await runCli(['plan', '--json', '--var', 'model=gpt-4-turbo', '--endpoint', server.url], { cwd: dir, env });
    expect(plan.code, plan.stderr).toBe(0);
    expect((JSON.parse(plan.stdout) as { assistants: Array<{ after: { model: string } }> }).assistants[0]!.after.model).toBe('gpt-4-turbo');
    const bad = await runCliInProcess(['plan', '--var', '=x', '--endpoint', server.url], { cwd: dir, env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('Error: --var "=x": give it as NAME=VALUE, NAME being a variable declared under variables:.\n');
  });
});

describe('state rm', () => {
  it('releases an assistant: removed from the manifest afterwards, it is left alone, not deleted as an orphan', async () => {
    const dir = await makeProject({ 'assistants.yaml': fleet(2, 'release') });
    const env = { OPENAI_API_KEY: server.apiKey };
    // The first apply is the built CLI; the runs after it are in-process, the same program.
    const real = (...args: string[]) => runCli([...args, '--endpoint', server.url], { cwd: dir, env });
    const cli = (...args: string[]) => runCliInProcess([...args, '--endpoint', server.url], { cwd: dir, env });
    expect((await real('apply', '--auto-approve')).code).toBe(0);
    const released = (await stateOf(dir)).assistants['a1']!.id;
    const removed = await cli('state', 'rm', 'a1');
    expect(removed.code, removed.stderr).toBe(0);
    await writeFiles(dir, { 'assistants.yaml': fleet(1, 'release') });
    const plan = await cli('plan', '--detailed-exitcode');
    expect(plan.code, plan.stdout).toBe(0);
    const kept = await api.getAssistant({ assistantId: released });
    expect(kept.name).toBe('Assistant 1');
    expect(kept.metadata).toEqual({});
  });
});

describe('refresh-only and targets', () => {
  it('reports drift alone, records it on apply --refresh-only without touching the server, and --target limits the change', async () => {
    const dir = await makeProject({ 'assistants.yaml': fleet(2, 'refresh') });
    const env = { OPENAI_API_KEY: server.apiKey };
    // The first apply is the built CLI; the runs after it are in-process, the same program.
    const real = (...args: string[]) => runCli([...args, '--endpoint', server.url], { cwd: dir, env });
    const cli = (...args: string[]) => runCliInProcess([...args, '--endpoint', server.url], { cwd: dir, env });
    expect((await real('apply', '--auto-approve')).code).toBe(0);
    const a0 = (await stateOf(dir)).assistants['a0']!.id;
    await api.modifyAssistant({ assistantId: a0, modifyAssistantRequest: { name: 'Renamed by hand' } });

    const drift = await cli('plan', '--refresh-only', '--json', '--detailed-exitcode');
    expect(drift.code).toBe(2);
    const driftPlan = JSON.parse(drift.stdout) as { mode: string; assistants: Array<{ key: string; action: string; reason: string; changes: unknown[] }> };
    expect(driftPlan.mode).toBe('refresh-only');
    expect(driftPlan.assistants.filter((a) => a.action !== 'no-op')).toEqual([
      expect.objectContaining({
        key: 'a0',
        action: 'record',
        reason: 'drift',
        changes: [{ field: 'name', before: 'Assistant 0', after: 'Renamed by hand', cause: 'drift' }],
      }),
    ]);
    const serialBefore = (await stateOf(dir)).serial;
    const accepted = await cli('apply', '--refresh-only', '--auto-approve');
    expect(accepted.code, accepted.stderr).toBe(0);
    expect((await api.getAssistant({ assistantId: a0 })).name).toBe('Renamed by hand');
    expect((await stateOf(dir)).serial).toBeGreaterThan(serialBefore);
    expect((await cli('plan', '--refresh-only', '--detailed-exitcode')).code).toBe(0);
    // The state now holds the hand edit, so the manifest's name is a change in the manifest.
    const normal = JSON.parse((await cli('plan', '--json')).stdout) as { assistants: Array<{ key: string; changes: Array<{ cause: string }> }> };
    expect(normal.assistants.find((a) => a.key === 'a0')!.changes).toEqual([expect.objectContaining({ field: 'name', cause: 'manifest' })]);

    const targeted = JSON.parse((await cli('plan', '--json', '--target', 'a1')).stdout) as { targets: string[]; assistants: Array<{ key: string }> };
    expect(targeted.targets).toEqual(['a1']);
    expect(targeted.assistants.map((a) => a.key)).toEqual(['a1']);
    const unknown = await cli('plan', '--target', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^Error: --target nope: no assistant with that key in the manifest or the state \(keys: a0, a1\)\.\n$/);
    expect((await cli('apply', '--auto-approve', '--target', 'a0')).code).toBe(0);
    expect((await api.getAssistant({ assistantId: a0 })).name).toBe('Assistant 0');
    expect((await cli('plan', '--detailed-exitcode')).code).toBe(0);
  });
});

describe('Ctrl-C during apply', () => {
  it('stops starting work, records what finished, exits 130, and the next apply converges', async () => {
    const slow = await startTestServer({ latencyMs: 40 });
    try {
      const dir = await makeProject({ 'assistants.yaml': fleet(60) });
      const env = { OPENAI_API_KEY: slow.apiKey };
      const args = ['apply', '--auto-approve', '--endpoint', slow.url, '--parallelism', '4'];
      const { child, result } = startCli(args, { cwd: dir, env });
      while (slow.stats().requests < 10) await new Promise((resolve) => setTimeout(resolve, 5));
      child.kill('SIGINT');
      const interrupted = await result;
      expect(interrupted.code).toBe(130);
      expect(interrupted.stderr).toContain('Interrupted');
      const recorded = Object.keys((await stateOf(dir)).assistants).length;
      const created = slow.stats().byRoute['POST /v1/assistants'] ?? 0;
      expect(recorded).toBe(created);
      expect(recorded).toBeGreaterThan(0);
      expect(recorded).toBeLessThan(60);
      expect((await runCli(args, { cwd: dir, env })).code).toBe(0);
      expect(Object.keys((await stateOf(dir)).assistants)).toHaveLength(60);
    } finally {
      await slow.close();
    }
  }, 60_000);
});

describe('--endpoint local', () => {
  it('keeps its data beside the manifest, so a new process plans no changes', async () => {
    const dir = await makeProject({ 'assistants.yaml': fleet(2, 'offline') });
    const env = { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined };
    const applied = await runCli(['apply', '--auto-approve', '--endpoint', 'local'], { cwd: dir, env });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('2 added');
    const plan = await runCli(['plan', '--detailed-exitcode', '--endpoint', 'local'], { cwd: dir, env });
    expect(plan.code, plan.stdout).toBe(0);
    expect((await stateOf(dir)).endpoint).toBe('local');
    await writeFiles(dir, { 'assistants.yaml': fleet(3, 'offline') });
    const grown = await runCli(['plan', '--detailed-exitcode', '--endpoint', 'local'], { cwd: dir, env });
    expect(grown.code).toBe(2);
    expect(grown.stdout).toContain('Plan: 1 to add, 0 to change, 0 to destroy.');
  });

  it('while another process holds its data: exit 3 naming the holder, or wait with --lock-timeout', async () => {
    const dir = await makeProject({ 'assistants.yaml': fleet(1, 'busy') });
    const env = { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined };
    const serve = startCli(['serve', '--port', '0', '--data', join(dir, '.assistants', 'local', 'api-data.jsonl')], { cwd: dir, env });
    await new Promise<void>((resolve) => serve.child.stdout!.on('data', () => resolve()));
    const held = await runCli(['plan', '--endpoint', 'local'], { cwd: dir, env });
    expect(held.code).toBe(3);
    expect(held.stderr).toMatch(
      new RegExp(`^Error: The local server's data \\(.*api-data\\.jsonl\\) is in use by assistants serve \\(pid ${serve.child.pid} since [-0-9T:.Z]+\\)\\. Wait for it to finish \\(--lock-timeout waits for it\\), or stop it\\.\n$`),
    );
    const waiting = startCli(['apply', '--auto-approve', '--endpoint', 'local', '--lock-timeout', '20s'], { cwd: dir, env });
    // Stopped only once the apply says it waits, so it really waits (however slow the machine).
    await waitForOutput(waiting.child.stderr!, /waiting up to 20s for it\.\.\.\n/);
    serve.child.kill('SIGTERM');
    expect((await serve.result).code).toBe(0);
    const applied = await waiting.result;
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stderr).toMatch(
      new RegExp(`^The local server's data \\(.*api-data\\.jsonl\\) is in use by assistants serve \\(pid ${serve.child.pid} since [-0-9T:.Z]+\\); waiting up to 20s for it\\.\\.\\.\n`),
    );
    expect(applied.stdout).toContain('1 added');
  });
});
