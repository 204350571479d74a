/**
 * The CI recipes in examples/ci/ (and the workflow docs/state-postgres.md shows) work as
 * written: each GitHub workflow passes GitHub's
 * own workflow parser (@actions/workflow-parser, the schema GitHub's language service
 * validates with), the GitLab pipeline passes GitLab's published CI JSON schema
 * (ci-schemas/gitlab-ci.json), every `assistants` command in them uses options the
 * built CLI has, and they keep the promises the README makes: least permissions, secrets
 * only in the steps that use them (never at job level, where `npm install` would see
 * them), one job per environment with a concurrency group, prod behind an environment's
 * approval, forks handled, a nightly schedule.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../e2e/cli.js';

const ROOT = join(import.meta.dirname, '..', '..');
const GITHUB = join(ROOT, 'examples', 'ci', 'github');
const GITLAB_PIPELINE = join(ROOT, 'examples', 'ci', 'gitlab', '.gitlab-ci.yml');
/** Documents whose ```yaml blocks are workflows to copy (docs/state-postgres.md: a job with a PostgreSQL service container). */
const DOCUMENTED_WORKFLOWS = [join(ROOT, 'docs', 'state-postgres.md')];

type Json = Record<string, unknown>;
interface Step {
  run?: string;
  uses?: string;
  env?: Record<string, string>;
}
interface Job {
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  environment?: string;
  concurrency?: { group: string };
  if?: string;
  steps: Step[];
}
interface Workflow {
  on: Json;
  permissions?: Json;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

async function workflowErrors(name: string, content: string): Promise<string[]> {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (parsed.value === undefined) return [...errors, 'no workflow'];
  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  return [...new Set([...errors, ...(template.errors ?? []).map((e) => e.Message)])];
}

async function githubWorkflows(): Promise<Array<{ name: string; text: string; workflow: Workflow }>> {
  const names = (await readdir(GITHUB)).filter((n) => n.endsWith('.yml')).sort();
  return Promise.all(names.map(async (name) => {
    const text = await readFile(join(GITHUB, name), 'utf8');
    return { name, text, workflow: parse(text) as Workflow };
  }));
}

/** The GitHub workflows shown in the documentation, named `FILE.md#N` (the Nth yaml block). */
async function documentedWorkflows(): Promise<Array<{ name: string; text: string; workflow: Workflow }>> {
  const found = await Promise.all(DOCUMENTED_WORKFLOWS.map(async (path) => {
    const blocks = [...(await readFile(path, 'utf8')).matchAll(/^```yaml\n([^]*?)^```$/gm)].map((m) => m[1] ?? '');
    return blocks.flatMap((text, i) => (/^jobs:/m.test(text) ? [{ name: `${path.slice(ROOT.length + 1)}#${i + 1}`, text, workflow: parse(text) as Workflow }] : []));
  }));
  return found.flat();
}

/** The recipes and the documented workflows: what a user copies. */
async function allWorkflows(): Promise<Array<{ name: string; text: string; workflow: Workflow }>> {
  return [...(await githubWorkflows()), ...(await documentedWorkflows())];
}

/** Each `assistants COMMAND --option` in a shell script, with the options it names. */
function assistantsCommands(script: string): Array<{ command: string; options: string[] }> {
  return script.split('\n').flatMap((line) => {
    // `state` has subcommands of its own (`state history`).
    const match = /(?:^|\s)assistants\s+((?:state\s+)?[a-z-]+)(.*)$/.exec(line.trim());
    if (match === null) return [];
    return [{ command: match[1] ?? '', options: [...(match[2] ?? '').matchAll(/(?:^|\s)(--[a-z-]+)/g)].map((m) => m[1] ?? '') }];
  });
}

const helpOf = new Map<string, Promise<string>>();
async function expectCliHas(command: string, options: string[]): Promise<void> {
  if (!helpOf.has(command)) helpOf.set(command, runCli([...command.split(/\s+/), '--help'], { cwd: ROOT }).then((r) => r.stdout));
  const help = await helpOf.get(command)!;
  expect(help, `assistants ${command}`).toContain('Usage: assistants');
  for (const option of options) expect(help, `assistants ${command} ${option}`).toMatch(new RegExp(`(^|[ ,])${option}[ ,=<[\\n]`, 'm'));
}

describe('GitHub workflows', () => {
  it('parse without error with GitHub\'s workflow parser, which does catch a mistake', async () => {
    const workflows = await githubWorkflows();
    expect(workflows.map((w) => w.name)).toEqual(['assistants-apply.yml', 'assistants-drift.yml', 'assistants-plan.yml']);
    const documented = await documentedWorkflows();
    expect(documented.map((w) => w.name)).toEqual(['docs/state-postgres.md#1']);
    for (const { name, text } of [...workflows, ...documented]) expect(await workflowErrors(name, text), name).toEqual([]);
    const broken = workflows[0]!.text.replace('    runs-on: ubuntu-latest\n', '    runs-on: ubuntu-latest\n    permisions: {}\n');
    expect(await workflowErrors('broken.yml', broken)).toEqual([expect.stringContaining("Unexpected value 'permisions'")]);
  });

  it('run only commands and options the CLI has', async () => {
    for (const { workflow } of await allWorkflows()) {
      for (const job of Object.values(workflow.jobs)) {
        for (const step of job.steps) for (const { command, options } of assistantsCommands(step.run ?? '')) await expectCliHas(command, options);
      }
    }
  });

  it('grant least permissions and give secrets only to the steps that run the tool', async () => {
    for (const { name, workflow } of await allWorkflows()) {
      expect(workflow.permissions, name).toEqual({});
      for (const [id, job] of Object.entries(workflow.jobs)) {
        expect(job.permissions, `${name} ${id}`).toBeDefined();
        for (const level of Object.values(job.permissions ?? {})) expect(['read', 'write']).toContain(level);
        expect(JSON.stringify(job.env ?? {}), `${name} ${id}: job-level env`).not.toMatch(/secrets\.|github\.token/);
        for (const step of job.steps) {
          const secret = /secrets\.|github\.token/.test(JSON.stringify(step.env ?? {}));
          if (/\bnpm\b/.test(step.run ?? '')) expect(secret, `${name} ${id}: npm with a secret`).toBe(false);
          if (secret) expect(step.run ?? '', `${name} ${id}: a secret for a step that is not the tool`).toMatch(/^\s*assistants |\n\s*assistants /);
        }
      }
      expect(JSON.stringify(workflow.env ?? {}), `${name}: workflow-level env`).not.toMatch(/secrets\./);
    }
  });

  it('plan pull requests per environment with comments, skipping forks; apply on merge one environment at a time, prod behind approval; check drift nightly', async () => {
    const byName = Object.fromEntries((await githubWorkflows()).map((w) => [w.name, w.workflow]));
    const plan = byName['assistants-plan.yml']!;
    expect(Object.keys(plan.on)).toEqual(['pull_request']);
    const planJob = plan.jobs['plan']!;
    expect(planJob.if).toBe('github.event.pull_request.head.repo.full_name == github.repository');
    expect(plan.jobs['fork-notice']?.if).toBe('github.event.pull_request.head.repo.full_name != github.repository');
    expect(planJob.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    expect(planJob.concurrency?.group).toContain('${{ matrix.environment }}');
    expect(planJob.steps.some((s) => /assistants plan .*--comment --label/.test(s.run ?? ''))).toBe(true);

    const apply = byName['assistants-apply.yml']!;
    expect(apply.on).toEqual({ push: { branches: ['main'] } });
    for (const env of ['dev', 'staging', 'prod']) {
      expect(apply.jobs[env]?.environment).toBe(env);
      expect(apply.jobs[env]?.concurrency?.group).toBe(`assistants-apply-${env}`);
    }
    const runs = Object.values(apply.jobs).flatMap((j) => j.steps.map((s) => s.run ?? '')).join('\n');
    expect(runs).toContain('assistants apply dev.plan.json');
    expect(runs).toContain('assistants apply --env prod --plan-hash "$PLAN_HASH"');

    const drift = byName['assistants-drift.yml']!;
    expect(drift.on['schedule']).toEqual([{ cron: expect.stringMatching(/^\S+ \S+ \* \* \*$/) }]);
    expect(drift.jobs['drift']?.permissions).toEqual({ contents: 'read', issues: 'write' });
    expect(drift.jobs['drift']?.steps.at(-1)?.run).toContain('--detailed-exitcode --comment --comment-issue');
  });
});

describe('the GitLab pipeline', () => {
  async function gitlabValidator(): Promise<(document: unknown) => string[]> {
    const schema = JSON.parse(await readFile(join(import.meta.dirname, 'ci-schemas', 'gitlab-ci.json'), 'utf8')) as Json;
    // As GitLab's own editor and gitlab-ci-local compile it: union types allowed, formats and markdownDescription not checked.
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
    const validate = ajv.compile(schema);
    return (document) => (validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`));
  }

  it('passes GitLab\'s CI schema, which does catch a mistake', async () => {
    const validate = await gitlabValidator();
    const pipeline = parse(await readFile(GITLAB_PIPELINE, 'utf8')) as Json;
    expect(validate(pipeline)).toEqual([]);
    const broken = { ...pipeline, 'apply:dev': { ...(pipeline['apply:dev'] as Json), when: 'sometimes' } };
    expect(validate(broken).length).toBeGreaterThan(0);
  });

  it('runs only commands and options the CLI has, installs with the secrets taken out, and plans, applies and checks drift as promised', async () => {
    const text = await readFile(GITLAB_PIPELINE, 'utf8');
    const pipeline = parse(text) as Record<string, Json>;
    for (const { command, options } of assistantsCommands(text)) await expectCliHas(command, options);
    const install = ((pipeline['default']?.['before_script'] ?? []) as string[]).find((l) => l.includes('npm install'));
    expect(install).toMatch(/^env -u ASSISTANTS_API_KEY -u ASSISTANTS_PG_CONN_STR -u GITLAB_TOKEN npm install -g /);
    expect(JSON.stringify(pipeline['.plan-merge-request'])).toContain('$CI_MERGE_REQUEST_SOURCE_PROJECT_ID == $CI_MERGE_REQUEST_PROJECT_ID');
    for (const env of ['dev', 'staging', 'prod']) expect(pipeline[`plan:mr:${env}`]?.['variables']).toEqual({ ENVIRONMENT: env });
    for (const job of ['apply:dev', 'apply:staging', 'apply:prod']) expect(pipeline[job]?.['resource_group']).toMatch(/^assistants-/);
    expect(JSON.stringify(pipeline['apply:prod'])).toContain('"when":"manual"');
    expect(pipeline['apply:prod']?.['script']).toEqual(['assistants apply prod.plan.json --lock-timeout 5m']);
    expect(JSON.stringify(pipeline['drift'])).toContain('$CI_PIPELINE_SOURCE == \\"schedule\\"');
  });
});
