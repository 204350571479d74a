/**
 * export -> import -> plan: the assistants of an account made by hand come under
 * management with a manifest that says exactly what they are, so the plan is empty.
 */
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { AssistantsApi, createConfiguration, FilesApi } from '../../src/api/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeTempDir } from '../support/temp-dir.js';
import { CLI, runCli, runCliInProcess, type CliResult } from './cli.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** Runs a printed command line in bash, as a user pasting it would, with `assistants` being the built CLI. */
function runPrinted(line: string, cwd: string, env: Record<string, string>): Promise<CliResult> {
  const child = spawn('bash', ['-c', `assistants() { ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"; }\n${line}`], {
    cwd,
    env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

describe('export', () => {
  it('writes a valid manifest with instruction and attached files; its import commands then leave nothing to change', async () => {
    const config = createConfiguration({ apiKey: server.apiKey, baseUrl: server.url });
    const api = new AssistantsApi(config);
    const files = new FilesApi(config);
    const guide = await files.createFile({ file: Buffer.from('# Returns\nWithin 30 days.\n'), filename: 'returns guide.md', purpose: 'assistants' });
    const longInstructions = 'You help customers.\nBe brief.\n'.repeat(20);
    const support = await api.createAssistant({
      createAssistantRequest: {
        model: 'gpt-4-turbo',
        name: 'Support Bot',
        description: 'Front line',
        instructions: longInstructions,
        tools: [
          { type: 'retrieval' },
          { type: 'function', function: { name: 'lookup_order', parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } } },
        ],
        fileIds: [guide.id],
        metadata: { team: 'care' },
      },
    });
    const salesA = await api.createAssistant({ createAssistantRequest: { model: 'gpt-4', name: 'Sales', instructions: 'Sell.' } });
    const salesB = await api.createAssistant({ createAssistantRequest: { model: 'gpt-4', name: 'Sales' } });

    const { dir } = await makeTempDir('export-');
    const env = { OPENAI_API_KEY: server.apiKey };
    const exported = await runCli(['export', '--project', 'acme', '-f', 'acme/assistants.yaml', '--endpoint', server.url], { cwd: dir, env });
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toBe(
      [
        `assistants import support-bot ${support.id} -f acme/assistants.yaml --endpoint ${server.url}`,
        `assistants import sales ${salesA.id} -f acme/assistants.yaml --endpoint ${server.url}`,
        `assistants import sales-2 ${salesB.id} -f acme/assistants.yaml --endpoint ${server.url}`,
        '',
      ].join('\n'),
    );
    expect(await readFile(join(dir, 'acme/instructions/support-bot.md'), 'utf8')).toBe(longInstructions);
    expect(await readFile(join(dir, 'acme/files/returns guide.md'), 'utf8')).toBe('# Returns\nWithin 30 days.\n');
    expect((await runCliInProcess(['validate', '-f', 'acme/assistants.yaml'], { cwd: dir, env })).code).toBe(0);

    const again = await runCliInProcess(['export', '--project', 'acme', '-f', 'acme/assistants.yaml', '--endpoint', server.url], { cwd: dir, env });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^Error: export would overwrite acme\/assistants\.yaml, .*; choose another -f folder or pass --force\.\n$/);

    for (const line of exported.stdout.trim().split('\n')) {
      const imported = await runCliInProcess(line.split(' ').slice(1), { cwd: dir, env });
      expect(imported.code, imported.stderr).toBe(0);
    }
    const plan = await runCliInProcess(['plan', '--detailed-exitcode', '-f', 'acme/assistants.yaml', '--endpoint', server.url], { cwd: dir, env });
    expect(plan.stdout).toContain('No changes');
    expect(plan.code).toBe(0);
  });

  it('escapes ${ in everything it writes from the server, so the literal text survives export -> import -> plan', async () => {
    const hostile = await startTestServer();
    try {
      const config = createConfiguration({ apiKey: hostile.apiKey, baseUrl: hostile.url });
      const api = new AssistantsApi(config);
      const files = new FilesApi(config);
      const upload = await files.createFile({ file: Buffer.from('${env.OPENAI_API_KEY}\n'), filename: '${env.HOME}.md', purpose: 'assistants' });
      const fields = {
        model: 'gpt-${environment}',
        name: '${env.OPENAI_API_KEY}',
        description: '${var.x} $${ $$${ ${',
        instructions: 'Say ${environment} and $${var.y}',
        tools: [
          { type: 'retrieval' as const },
          { type: 'function' as const, function: { name: 'f', description: 'uses ${var.z}', parameters: { type: 'object', description: '${kept}' } } },
        ],
        fileIds: [upload.id],
        metadata: { '${key}': '${env.HOME}', plain: '$${x}' },
      };
      const long = 'Line with ${env.OPENAI_API_KEY}\n'.repeat(3);
      const made = await api.createAssistant({ createAssistantRequest: fields });
      const other = await api.createAssistant({ createAssistantRequest: { model: 'gpt-4', name: '${var.name}', instructions: long } });
      const { dir } = await makeTempDir('export-');
      try {
        const env = { OPENAI_API_KEY: hostile.apiKey, HOME: '/home/victim' };
        const exported = await runCli(['export', '--project', 'acme', '--endpoint', hostile.url], { cwd: dir, env });
        expect(exported.code, exported.stderr).toBe(0);
        expect(exported.stderr).not.toContain('Warning');
        const validated = await runCliInProcess(['validate', '--print'], { cwd: dir, env });
        expect(validated.code, validated.stderr).toBe(0);
        for (const line of exported.stdout.trim().split('\n')) {
          const imported = await runCliInProcess(line.split(' ').slice(1), { cwd: dir, env });
          expect(imported.code, imported.stderr).toBe(0);
        }
        const plan = await runCliInProcess(['plan', '--detailed-exitcode', '--endpoint', hostile.url], { cwd: dir, env });
        expect(plan.stdout).toContain('No changes');
        expect(plan.code, plan.stdout).toBe(0);
        expect(await api.getAssistant({ assistantId: made.id })).toMatchObject({ ...fields, metadata: { ...fields.metadata, 'assistants-iac': expect.any(String) } });
        expect((await api.getAssistant({ assistantId: other.id })).instructions).toBe(long);
        expect(await readFile(join(dir, 'files', '${env.HOME}.md'), 'utf8')).toBe('${env.OPENAI_API_KEY}\n');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    } finally {
      await hostile.close();
    }
  });

  it('leaves out what import would refuse, saying why; every printed command works and the plan is empty, files included', async () => {
    const server = await startTestServer();
    onTestFinished(() => server.close());
    const config = createConfiguration({ apiKey: server.apiKey, baseUrl: server.url });
    const api = new AssistantsApi(config);
    const files = new FilesApi(config);
    const upload = (content: string, filename: string) => files.createFile({ file: Buffer.from(content), filename, purpose: 'assistants' });
    const theirsFile = await upload('their notes\n', 'theirs.md');
    const theirs = await api.createAssistant({ createAssistantRequest: { model: 'gpt-4', name: 'Theirs', tools: [{ type: 'retrieval' }], fileIds: [theirsFile.id], metadata: { 'assistants-iac': 'other/default/helper' } } });
    const full = await api.createAssistant({
      createAssistantRequest: { model: 'gpt-4', name: 'Full', metadata: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v'])) },
    });
    const resume = await upload('CV\n', 'Résumé (v2).md');
    const shared = await upload('shared\n', 'shared.md');
    const one = await api.createAssistant({ createAssistantRequest: { model: 'gpt-4', name: 'One', tools: [{ type: 'retrieval' }], fileIds: [resume.id, shared.id] } });
    const two = await api.createAssistant({ createAssistantRequest: { model: 'gpt-4', name: 'Two', tools: [{ type: 'retrieval' }], fileIds: [shared.id] } });

    const { dir } = await makeTempDir('export-');
    const env = { OPENAI_API_KEY: server.apiKey };
    const exported = await runCli(['export', '--project', 'beta', '-f', 'beta team/assistants.yaml', '--endpoint', server.url], { cwd: dir, env });
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).toContain(
      [
        'Skipped 2 assistant(s) that "assistants import" would refuse:',
        `  ${theirs.id} ("Theirs"): owned by other/default/helper: another project or environment manages it`,
        `  ${full.id} ("Full"): has 16 metadata entries, leaving none of the API's 16 for the ownership tag; remove one and export again`,
      ].join('\n'),
    );
    const lines = exported.stdout.trim().split('\n');
    expect(lines).toEqual([
      `assistants import one ${one.id} -f 'beta team/assistants.yaml' --endpoint ${server.url}`,
      `assistants import two ${two.id} -f 'beta team/assistants.yaml' --endpoint ${server.url}`,
    ]);
    expect(await readFile(join(dir, 'beta team/assistants.yaml'), 'utf8')).not.toContain('theirs.md');

    for (const line of lines) {
      const imported = await runPrinted(line, dir, env);
      expect(imported.code, `${line}\n${imported.stderr}`).toBe(0);
    }
    const plan = await runCli(['plan', '--detailed-exitcode', '-f', 'beta team/assistants.yaml', '--endpoint', server.url], { cwd: dir, env });
    expect(plan.stdout).toContain('No changes. Your assistants match the manifest.');
    expect(plan.code, plan.stdout).toBe(0);
  });
});
