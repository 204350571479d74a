/**
 * The endpoint in one place: an environment may name its endpoint in the manifest, and
 * every command resolves it in one order (--endpoint, OPENAI_BASE_URL, the environment's
 * endpoint:, the OpenAI API); a 404 on a list at an endpoint without /v1 says to add it; a
 * state made for another endpoint says how to re-point it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeProject, runCli, type CliResult } from './cli.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const manifest = (endpoint: string): string => `version: 1
project: p
environments:
  dev:
    endpoint: ${endpoint}
assistants:
  a:
    model: gpt-4
`;

describe('the endpoint in one place', () => {
  it("plan, apply, a saved plan and state agree on the environment's endpoint; OPENAI_BASE_URL and --endpoint come first", async () => {
    const dir = await makeProject({ 'assistants.yaml': manifest(server.url) });
    const env = { OPENAI_API_KEY: server.apiKey, OPENAI_BASE_URL: undefined };
    const cli = (args: string[], extra: Record<string, string | undefined> = {}): Promise<CliResult> => runCli(args, { cwd: dir, env: { ...env, ...extra } });
    expect((await cli(['apply', '--env', 'dev', '--auto-approve'])).code).toBe(0);
    expect((await cli(['state', 'list', '--env', 'dev'])).stdout).toMatch(/^a\tasst_/);
    expect((await cli(['plan', '--env', 'dev', '--detailed-exitcode'])).code).toBe(0);
    expect((await cli(['plan', '--env', 'dev', '--out', 'dev.plan'])).code).toBe(0);
    const saved = await cli(['apply', 'dev.plan']);
    expect(saved.code, saved.stderr).toBe(0);

    // OPENAI_BASE_URL wins over the manifest, and --endpoint over both: here, a port nobody listens on.
    const unreachable = 'http://127.0.0.1:9/v1';
    const fromEnv = await cli(['plan', '--env', 'dev'], { OPENAI_BASE_URL: unreachable });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stderr).toContain('belongs to endpoint');
    expect(fromEnv.stderr).toContain(`not ${unreachable}`);
    expect(fromEnv.stderr).toContain(`re-point the state with "assistants state rebuild --endpoint ${unreachable}"`);
    const fromFlag = await cli(['plan', '--env', 'dev', '--endpoint', server.url, '--detailed-exitcode'], { OPENAI_BASE_URL: unreachable });
    expect(fromFlag.code).toBe(0);
  });

  it('an endpoint with credentials in the manifest is refused by validate', async () => {
    const dir = await makeProject({ 'assistants.yaml': manifest('https://user:sk-secret@example.com/v1') });
    const result = await runCli(['validate'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('endpoint must be an http(s) base URL without credentials');
  });

  it('a 404 on a list at an endpoint without /v1 suggests adding it', async () => {
    const dir = await makeProject({ 'assistants.yaml': manifest('local') });
    const result = await runCli(['plan', '--env', 'dev', '--endpoint', server.origin], { cwd: dir, env: { OPENAI_API_KEY: server.apiKey } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`the API is usually under /v1: try --endpoint ${server.origin}/v1.`);
  });
});
