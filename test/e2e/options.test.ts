/**
 * Options per command: a command takes only the options it uses (anything else is refused
 * by the parser, naming the option and the command), and each value is checked once, as
 * the command line is read, before any file or request.
 */
import { describe, expect, it } from 'vitest';
import { makeProject, runCli } from './cli.js';

const MANIFEST = 'version: 1\nproject: p\nassistants:\n  a:\n    model: gpt-4\n';

describe('options per command', () => {
  it('validate --request-timeout banana exits 1 naming the option and the command', async () => {
    const dir = await makeProject({ 'assistants.yaml': MANIFEST });
    const result = await runCli(['validate', '--request-timeout', 'banana'], { cwd: dir });
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe('Error: assistants validate takes no option --request-timeout; "assistants validate --help" lists the options it takes.\n');
  });

  it('validate --endpoint is refused too, and its value never shown', async () => {
    const dir = await makeProject({ 'assistants.yaml': MANIFEST });
    const result = await runCli(['validate', '--endpoint=https://user:sk-secret@example.com'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('assistants validate takes no option --endpoint;');
    expect(result.stderr).not.toContain('sk-secret');
  });

  it('a subcommand names itself in full', async () => {
    const dir = await makeProject({ 'assistants.yaml': MANIFEST });
    const result = await runCli(['state', 'list', '--endpoint', 'local'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: assistants state list takes no option --endpoint;/);
  });

  it.each([
    [['plan', '--request-timeout', 'banana'], 'Error: --request-timeout "banana": expected a duration such as 500ms, 30s, 5m or 1h'],
    [['plan', '--request-timeout', '0'], 'Error: --request-timeout "0": must be longer than 0'],
    [['apply', '--lock-timeout', '25h'], 'Error: --lock-timeout "25h": at most 24h'],
    [['apply', '--parallelism', '0'], 'Error: --parallelism "0": give a whole number of at least 1.'],
    [['plan', '--endpoint', 'not a url'], 'Error: --endpoint is not a URL'],
    [['plan', '--env', '../prod'], 'Error: --env "../prod": an environment name is letters'],
    [['plan', '--var', 'oops'], 'Error: --var "oops": give it as NAME=VALUE'],
    [['state', 'show', '--serial', 'x'], 'Error: --serial "x": give a whole number of at least 1.'],
    [['export', '--project', 'Bad Name'], 'Error: --project "Bad Name": use 1-63 lowercase letters'],
    [['apply', '--plan-hash', 'abc'], 'Error: --plan-hash "abc": give the 64 hex digits'],
  ])('%j is refused as the command line is read, before the manifest is looked for', async (args, message) => {
    // No manifest here: a value checked later would fail on the missing manifest instead.
    const dir = await makeProject({});
    const result = await runCli(args, { cwd: dir, env: { OPENAI_API_KEY: 'sk-test' } });
    expect(result.code).toBe(1);
    expect(result.stderr.startsWith(message)).toBe(true);
    expect(result.stderr.split('\n').filter((line) => line !== '')).toHaveLength(1);
  });

  it('--debug is taken by every command, before or after its name', async () => {
    const dir = await makeProject({ 'assistants.yaml': MANIFEST });
    for (const args of [['validate', '--debug'], ['--debug', 'validate']]) {
      const result = await runCli(args, { cwd: dir });
      expect(result.code).toBe(0);
    }
  });
});
