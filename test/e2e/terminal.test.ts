/**
 * What a person sees: on a terminal, "Reading N assistants..." while plan reads the server
 * and, after apply's bar, what it created (key and id); in CI one line per operation that
 * names an id once; with ASSISTANTS_LOG=debug (or --log-level debug) one line per API
 * request on stderr, the key never shown.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeProject, runCli, startCliInTerminal } from './cli.js';

const MANIFEST = 'version: 1\nproject: p\nassistants:\n  a59:\n    model: gpt-4\n  a6:\n    model: gpt-4\n';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(async () => {
  await fetch(`${server.origin}/_admin/reset`, { method: 'POST' });
});

describe('on a terminal', () => {
  it('plan says what it reads; apply lists what it created after the bar, in natural order', async () => {
    const dir = await makeProject({ 'assistants.yaml': MANIFEST });
    const env = { OPENAI_API_KEY: server.apiKey };
    const plan = await startCliInTerminal(['plan', '--endpoint', server.url], { cwd: dir, env }).result;
    expect(plan.stdout).toContain(`Reading 2 assistants from ${server.url}...`);
    const applied = await startCliInTerminal(['apply', '--endpoint', server.url, '--auto-approve'], { cwd: dir, env }).result;
    expect(applied.code, applied.stdout).toBe(0);
    expect(applied.stdout.replace(/\r/g, '')).toMatch(/\nCreated:\n {2}a6 {3}asst_\w+\n {2}a59 {2}asst_\w+\n/);
  });
});

describe('in CI', () => {
  it('each operation is one line naming its id once', async () => {
    const dir = await makeProject({ 'assistants.yaml': MANIFEST });
    const env = { OPENAI_API_KEY: server.apiKey };
    const created = await runCli(['apply', '--endpoint', server.url, '--auto-approve'], { cwd: dir, env });
    expect(created.stderr).toMatch(/^create a6: done \(asst_\w+\)$/m);
    await writeFile(join(dir, 'assistants.yaml'), 'version: 1\nproject: p\nassistants:\n  a6:\n    model: gpt-4\n');
    const deleted = await runCli(['apply', '--endpoint', server.url, '--auto-approve'], { cwd: dir, env });
    expect(deleted.stderr).toMatch(/^delete a59 asst_\w+: done$/m);
  });

  it('ASSISTANTS_LOG=debug and --log-level debug log each request and its status, never the key', async () => {
    const dir = await makeProject({ 'assistants.yaml': MANIFEST });
    const env = { OPENAI_API_KEY: server.apiKey, ASSISTANTS_LOG: 'debug' };
    const result = await runCli(['plan', '--endpoint', server.url], { cwd: dir, env });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`[debug] endpoint ${server.url}, key [redacted]\n`);
    expect(result.stderr).toMatch(/^\[debug\] GET \/v1\/assistants\?limit=100&order=asc -> 200 \(\d+ ms\)$/m);
    expect(result.stderr).not.toContain(server.apiKey);
    const flag = await runCli(['--log-level', 'debug', 'plan', '--endpoint', server.url], { cwd: dir, env: { OPENAI_API_KEY: server.apiKey } });
    expect(flag.stderr).toMatch(/^\[debug\] GET \/v1\/files -> 200/m);
    const quiet = await runCli(['plan', '--endpoint', server.url], { cwd: dir, env: { OPENAI_API_KEY: server.apiKey } });
    expect(quiet.stderr).not.toContain('[debug]');
    const bad = await runCli(['plan', '--endpoint', server.url], { cwd: dir, env: { OPENAI_API_KEY: server.apiKey, ASSISTANTS_LOG: 'loud' } });
    expect(bad).toMatchObject({ code: 1, stderr: 'Error: ASSISTANTS_LOG "loud": give debug (each API request and its status on stderr), or off.\n' });
  });
});
