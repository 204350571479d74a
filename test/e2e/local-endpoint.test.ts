/**
 * The in-process server of `--endpoint local`, as the built CLI runs it: its request log
 * under --debug and the privacy of the data it keeps beside the manifest.
 */
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { makeProject, runCli } from './cli.js';

const MANIFEST = ['version: 1', 'project: logged', 'assistants:', '  a:', '    name: Logged', '    model: gpt-4', '    instructions: "INSTRUCTION-TEXT"', ''].join('\n');

it('--debug logs each request of the local server on one line, without the key or a body', async () => {
  const dir = await makeProject({ 'assistants.yaml': MANIFEST });
  try {
    const env = { OPENAI_API_KEY: 'sk-local-secret-0123456789', OPENAI_BASE_URL: undefined };
    const quiet = await runCli(['apply', '--auto-approve', '--endpoint', 'local'], { cwd: dir, env });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toMatch(/req_[0-9a-f]{32}/);

    const debug = await runCli(['plan', '--endpoint', 'local', '--debug'], { cwd: dir, env });
    expect(debug.code, debug.stderr).toBe(0);
    const logged = debug.stderr.split('\n').filter((line) => /req_[0-9a-f]{32}$/.test(line));
    expect(logged.length).toBeGreaterThan(0);
    for (const line of logged) expect(line).toMatch(/^local server: (GET|POST|DELETE) \/v1\/\S+ \d{3} \d+ms req_[0-9a-f]{32}$/);
    expect(logged.some((line) => line.includes('GET /v1/assistants 200'))).toBe(true);
    expect(debug.stderr).not.toContain('sk-local-secret');
    expect(debug.stderr).not.toContain('INSTRUCTION-TEXT');

    // What the local server keeps is readable by its owner only.
    const local = join(dir, '.assistants', 'local');
    expect((await stat(local)).mode & 0o777).toBe(0o700);
    expect((await stat(join(local, 'api-data.jsonl'))).mode & 0o777).toBe(0o600);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
