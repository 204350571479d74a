import { resolve } from 'node:path';
import { Command } from 'commander';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { register } from '../../src/cli/commands/validate.js';
import { UserError } from '../../src/errors.js';
import { fakeIo } from '../support/fake-io.js';
import { folderWith } from './helpers.js';

const root = resolve(import.meta.dirname, '../..');

interface Run {
  stdout: string;
  stderr: string;
  exitCode: number;
  error?: unknown;
}

async function run(args: string[], cwd = root, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const io = fakeIo(cwd, env);
  const program = new Command('assistants').exitOverride().configureOutput({ writeOut: (t) => io.stdout.write(t), writeErr: (t) => io.stderr.write(t) });
  register(program, io);
  try {
    await program.parseAsync(['validate', ...args], { from: 'user' });
    return { stdout: io.out(), stderr: io.err(), exitCode: io.exitCode };
  } catch (error) {
    return { stdout: io.out(), stderr: io.err(), exitCode: io.exitCode, error };
  }
}

describe('assistants validate', () => {
  it('prints a one-line summary for a valid manifest', async () => {
    const result = await run(['-f', 'examples/quickstart/assistants.yaml']);
    expect(result).toEqual({ stdout: 'examples/quickstart/assistants.yaml: valid (env default): 1 assistant, 1 file, 1 test.\n', stderr: '', exitCode: 0 });
  });

  it('checks the behaviour tests beside the manifest in each environment, saying where a problem is only in some', async () => {
    const dir = await folderWith({
      'assistants.yaml': 'version: 1\nproject: p\nenvironments:\n  dev: {}\n  prod:\n    assistants:\n      a: { files: [] }\nfiles:\n  faq: { path: faq.md }\nassistants:\n  a:\n    model: gpt-4\n    tools: [{ type: retrieval }]\n    files: [faq]\n',
      'faq.md': '# FAQ\n',
      'a.test.yaml': 'version: 1\ntests:\n  t:\n    assistant: a\n    turns:\n      - user: hi\n        assert: [{ cites: faq }]\n',
    });
    const result = await run([], dir);
    expect(result.error).toBeInstanceOf(UserError);
    expect((result.error as UserError).details).toEqual([
      'a.test.yaml:7:27: file "faq" is not uploaded in environment "prod": only files an assistant attaches are; attach it to one (in environment prod)',
    ]);
  });

  it('reads assistants.yaml in the working directory by default', async () => {
    const result = await run([], resolve(root, 'examples/functions'));
    expect(result.stdout).toBe('assistants.yaml: valid (env default): 1 assistant, 2 files, 3 tests.\n');
  });

  it('checks every environment when there is no --env and no default environment', async () => {
    const result = await run(['-f', 'examples/environments/assistants.yaml']);
    expect(result.stdout).toBe('examples/environments/assistants.yaml: valid (envs dev, staging, prod): 2 assistants, 1 file, 2 tests.\n');
  });

  it('--print shows the resolved desired state of the chosen environment', async () => {
    const dev = await run(['-f', 'examples/environments/assistants.yaml', '--env', 'dev', '--print']);
    const prod = await run(['-f', 'examples/environments/assistants.yaml', '--env', 'prod', '--print']);
    expect(dev.stderr).toBe('examples/environments/assistants.yaml: valid (env dev): 2 assistants, 1 file, 1 test.\n');
    const devView = parse(dev.stdout) as { environment: string; assistants: { triage: { model: string; name: string; lifecycle: object } }; files: { runbook: { path: string } } };
    const prodView = parse(prod.stdout) as typeof devView;
    expect(devView.environment).toBe('dev');
    expect([devView.assistants.triage.model, devView.assistants.triage.name]).toEqual(['gpt-3.5-turbo', 'Ticket triage (dev)']);
    expect([prodView.assistants.triage.model, prodView.assistants.triage.name]).toEqual(['gpt-4', 'Ticket triage']);
    expect(prodView.assistants.triage.lifecycle).toEqual({ prevent_destroy: true, ignore_changes: ['description'] });
    expect(devView.files.runbook.path).toBe('examples/environments/files/runbook.md');
  });

  it('--print without --env prints every environment as its own YAML document', async () => {
    const result = await run(['-f', 'examples/environments/assistants.yaml', '--print']);
    expect(result.stdout.split('---\n').map((doc) => (parse(doc) as { environment: string }).environment)).toEqual(['dev', 'staging', 'prod']);
  });

  it('--json prints the result as data', async () => {
    const result = await run(['-f', 'examples/functions/assistants.yaml', '--json']);
    const json = JSON.parse(result.stdout) as { valid: boolean; file: string; errors: unknown[]; environments: Array<{ name: string; desired: { assistants: { planner: { spec: { tools: unknown[] } } } } }> };
    expect(json.valid).toBe(true);
    expect(json.file).toBe('examples/functions/assistants.yaml');
    expect(json.errors).toEqual([]);
    expect(json.environments.map((e) => e.name)).toEqual(['default']);
    expect(json.environments[0]?.desired.assistants.planner.spec.tools).toHaveLength(3);
    expect(result.exitCode).toBe(0);
  });

  const broken = 'version: 1\nproject: demo\nassistants:\n  helper:\n    modle: gpt-4\n    name: ${var.nme}\n';

  it('reports every error as FILE:LINE:COLUMN and fails', async () => {
    const dir = await folderWith({ 'assistants.yaml': broken });
    const result = await run([], dir);
    expect(result.error).toBeInstanceOf(UserError);
    const error = result.error as UserError;
    expect(error.code).toBe('MANIFEST_INVALID');
    expect(error.message).toBe('assistants.yaml is invalid: 3 problems.');
    expect(error.details).toEqual([
      'assistants.yaml:4:3: assistant "helper" is missing required field "model"',
      'assistants.yaml:5:5: unknown field "modle" in assistant "helper"; did you mean "model"?',
      'assistants.yaml:6:11: undefined variable "nme" (not declared under variables)',
    ]);
    expect(result.stdout).toBe('');
  });

  it('--json reports the errors as data and sets exit code 1', async () => {
    const dir = await folderWith({ 'assistants.yaml': broken });
    const result = await run(['--json'], dir);
    expect(result.error).toBeUndefined();
    expect(result.exitCode).toBe(1);
    const json = JSON.parse(result.stdout) as { valid: boolean; errors: unknown[]; environments: unknown[] };
    expect(json.valid).toBe(false);
    expect(json.environments).toEqual([]);
    expect(json.errors[0]).toEqual({
      file: 'assistants.yaml',
      line: 4,
      column: 3,
      message: 'assistant "helper" is missing required field "model"',
      path: '/assistants/helper',
    });
  });

  it('says which environments a problem is in when checking them all', async () => {
    const dir = await folderWith({
      'assistants.yaml': 'version: 1\nproject: demo\nenvironments:\n  dev: {}\n  prod:\n    assistants:\n      helper:\n        name: ${var.prod_name}\nassistants:\n  helper:\n    model: gpt-4\n',
    });
    const result = await run([], dir);
    expect((result.error as UserError).details).toEqual([
      'assistants.yaml:8:15: undefined variable "prod_name" (not declared under variables) (in environment prod)',
    ]);
  });

  it('checks every environment, default included, when there is no --env', async () => {
    const dir = await folderWith({
      'assistants.yaml': 'version: 1\nproject: demo\nenvironments:\n  default: {}\n  prod:\n    assistants:\n      helper: {model: gpt-4}\nassistants:\n  helper:\n    model: gpt-3.5-turbo\n',
    });
    expect((await run([], dir)).stdout).toBe('assistants.yaml: valid (envs default, prod): 1 assistant, 0 files.\n');
    expect((await run(['--env', 'prod'], dir)).stdout).toBe('assistants.yaml: valid (env prod): 1 assistant, 0 files.\n');
  });

  it('prints warnings on stderr and still succeeds', async () => {
    const dir = await folderWith({
      'assistants.yaml': 'version: 1\nproject: demo\nvariables:\n  unused: {default: x}\nassistants:\n  helper:\n    model: gpt-4\n',
    });
    const result = await run([], dir);
    expect(result.stderr).toBe('Warning: assistants.yaml:4:3: variable "unused" is declared but never used\n');
    expect(result.stdout).toBe('assistants.yaml: valid (env default): 1 assistant, 0 files.\n');
  });

  it('refuses paths outside the manifest folder unless --allow-outside-paths', async () => {
    const outer = await folderWith({
      'shared/prompt.md': 'Be brief.',
      'app/assistants.yaml': 'version: 1\nproject: demo\nassistants:\n  helper:\n    model: gpt-4\n    instructions_file: ../shared/prompt.md\n',
    });
    const refused = await run(['-f', 'app/assistants.yaml'], outer);
    expect((refused.error as UserError).details).toEqual([
      'app/assistants.yaml:6:24: instructions_file "../shared/prompt.md" is outside the manifest\'s folder: move the file under it, or pass --allow-outside-paths',
    ]);
    const allowed = await run(['-f', 'app/assistants.yaml', '--allow-outside-paths'], outer);
    expect(allowed.stdout).toBe('app/assistants.yaml: valid (env default): 1 assistant, 0 files.\n');
  });
});
