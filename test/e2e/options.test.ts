/**
 * Options per command: a command takes only the options it uses (anything else is refused
 * by the parser, naming the option and the command), and each value is checked once, as
 * the command line is read, before any file or request. Most runs are in-process (the
 * parser is the same); the first of each kind, and those on a terminal, are the built CLI.
 */
import { describe, expect, it } from 'vitest';
import { makeProject, runCli, runCliInProcess, startCliInTerminal } from './cli.js';

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
    const result = await runCliInProcess(['validate', '--endpoint=https://user:sk-secret@example.com'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('assistants validate takes no option --endpoint;');
    expect(result.stderr).not.toContain('sk-secret');
  });

  it('a subcommand names itself in full', async () => {
    const dir = await makeProject({ 'assistants.yaml': MANIFEST });
    const result = await runCliInProcess(['state', 'list', '--endpoint', 'local'], { cwd: dir });
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
    const result = await runCliInProcess(args, { cwd: dir, env: { OPENAI_API_KEY: 'sk-test' } });
    expect(result.code).toBe(1);
    expect(result.stderr.startsWith(message)).toBe(true);
    expect(result.stderr.split('\n').filter((line) => line !== '')).toHaveLength(1);
  });

  it('--debug is taken by every command, before or after its name', async () => {
    const dir = await makeProject({ 'assistants.yaml': MANIFEST });
    for (const args of [['validate', '--debug'], ['--debug', 'validate']]) {
      const result = await runCliInProcess(args, { cwd: dir });
      expect(result.code).toBe(0);
    }
  });
});

describe('messages in one voice', () => {
  it('no manifest here: the folder is named and -f suggested', async () => {
    const dir = await makeProject({});
    const result = await runCli(['plan', '--endpoint', 'local'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`Error: no assistants.yaml in ${dir}: run in the folder that holds the manifest, or give -f FILE (or -f FOLDER holding assistants.yaml).\n`);
    const named = await runCliInProcess(['validate', '-f', 'infra/prod.yaml'], { cwd: dir });
    expect(named.stderr).toBe(`Error: no manifest at infra/prod.yaml (looked in ${dir}/infra): check -f; it takes the manifest, or a folder holding assistants.yaml.\n`);
  });

  it('-f FOLDER reads FOLDER/assistants.yaml', async () => {
    const dir = await makeProject({ 'infra/assistants.yaml': MANIFEST });
    const result = await runCliInProcess(['validate', '-f', 'infra'], { cwd: dir });
    expect(result).toMatchObject({ code: 0, stdout: 'infra/assistants.yaml: valid (env default): 1 assistant, 0 files.\n' });
  });

  it("the parser's own errors start with Error: too", async () => {
    const dir = await makeProject({ 'assistants.yaml': MANIFEST });
    const result = await runCliInProcess(['import', 'a'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')[0]).toBe("Error: missing required argument 'id'");
  });

  it('--input=false fails instead of asking, even where it could ask', async () => {
    const dir = await makeProject({ 'assistants.yaml': MANIFEST });
    // On a terminal, where apply would ask.
    const { result } = startCliInTerminal(['apply', '--endpoint', 'local', '--input=false'], { cwd: dir });
    const { code, stdout } = await result;
    expect(code).toBe(1);
    expect(stdout).toContain('Error: apply needs --auto-approve with --input=false; review the plan above first.');
    expect(stdout).not.toContain('Enter a value');
  });

  it('colour only on a terminal, and none with --no-color', async () => {
    const dir = await makeProject({ 'assistants.yaml': MANIFEST });
    const env = { NO_COLOR: undefined };
    const coloured = await startCliInTerminal(['plan', '--endpoint', 'local'], { cwd: dir, env }).result;
    expect(coloured.stdout).toContain('\x1b[');
    const plain = await startCliInTerminal(['plan', '--endpoint', 'local', '--no-color'], { cwd: dir, env }).result;
    expect(plain.stdout).toContain('Plan: 1 to add');
    expect(plain.stdout).not.toContain('\x1b[');
    const piped = await runCli(['plan', '--endpoint', 'local'], { cwd: dir, env: { NO_COLOR: undefined, CI: undefined } });
    expect(piped.stdout).not.toContain('\x1b[');
  });

  it('version and --version print the tool and format versions', async () => {
    const dir = await makeProject({});
    const version = await runCli(['version'], { cwd: dir });
    expect(version.stdout).toMatch(/^assistants \d+\.\d+\.\d+\nmanifest format 1\nstate format \d+\nplan format \d+\n$/);
    expect((await runCliInProcess(['--version'], { cwd: dir })).stdout).toBe(version.stdout);
  });
});
