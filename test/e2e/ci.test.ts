/**
 * The CLI in a CI job, as a user's workflow runs it: the built CLI against the real local
 * server, with the GitHub (or GitLab) API answered by the stand-ins in test/forge/.
 * The plan reaches the pull request and is updated in place, the step summary and
 * outputs are written, the reviewed plan's hash gates apply, a fork's pull request gets
 * a notice, a failed comment leaves the exit code alone unless --comment-required, and
 * manifest problems become annotations and reports.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssistantsApi, createConfiguration } from '../../src/api/index.js';
import { parseMarker } from '../../src/forge/marker.js';
import { GitHubStandIn } from '../forge/github-stand-in.js';
import { GitLabStandIn } from '../forge/gitlab-stand-in.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeProject, runCli } from './cli.js';

const manifest = (instructions: string): string => `version: 1
project: shop
environments:
  prod: {}
assistants:
  support:
    name: Support
    model: gpt-4
    instructions: ${JSON.stringify(instructions)}
`;

let server: TestServer;
let gh: GitHubStandIn;
let dir: string;
const PR = 7;

beforeAll(async () => {
  server = await startTestServer();
  gh = await new GitHubStandIn().start();
  dir = await makeProject({
    'assistants.yaml': manifest('Be kind.'),
    'event-pr.json': JSON.stringify({ pull_request: { number: PR, head: { repo: { full_name: gh.repository } }, base: { repo: { full_name: gh.repository } } } }),
    'event-fork.json': JSON.stringify({ pull_request: { number: 8, head: { repo: { full_name: 'stranger/assistants-config' } }, base: { repo: { full_name: gh.repository } } } }),
    'event-schedule.json': JSON.stringify({ schedule: '0 5 * * *' }),
  });
});
afterAll(async () => {
  await Promise.all([server.close(), gh.close()]);
  await rm(dir, { recursive: true, force: true });
});

function github(event: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    OPENAI_API_KEY: server.apiKey,
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: gh.repository,
    GITHUB_API_URL: gh.url,
    GITHUB_SERVER_URL: 'https://github.example.com',
    GITHUB_EVENT_NAME: event === 'event-schedule.json' ? 'schedule' : 'pull_request',
    GITHUB_EVENT_PATH: join(dir, event),
    GITHUB_WORKSPACE: dir,
    GITHUB_TOKEN: gh.token,
    GITHUB_OUTPUT: join(dir, 'github-output'),
    GITHUB_STEP_SUMMARY: join(dir, 'step-summary.md'),
    ...extra,
  };
}

const cli = (env: Record<string, string>, ...args: string[]) => runCli([...args, '--env', 'prod', '--endpoint', server.url], { cwd: dir, env });

/** The outputs the last step wrote, and a fresh file for the next. */
async function takeOutputs(): Promise<Record<string, string>> {
  const text = await readFile(join(dir, 'github-output'), 'utf8');
  await rm(join(dir, 'github-output'));
  return Object.fromEntries(text.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

describe('GitHub Actions', () => {
  let reviewedHash = '';

  it('plan --comment --label posts the plan once, labels the pull request and writes the step summary and outputs', async () => {
    const run = await cli(github('event-pr.json'), 'plan', '--comment', '--label', '--detailed-exitcode');
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('Plan: 1 to add, 0 to change, 0 to destroy.');
    expect(run.stdout).not.toContain('assistants-iac kind=');
    const comments = gh.commentsOn(PR);
    expect(comments).toHaveLength(1);
    const marker = parseMarker(comments[0]!.body);
    expect(marker).toMatchObject({ kind: 'plan', project: 'shop', environment: 'prod', part: 1, parts: 1, intact: true });
    expect(run.stderr).toContain(`Commented on pull request #7 (one comment: 1 posted): https://github.example.com/${gh.repository}/pull/7#issuecomment-${comments[0]!.id}`);
    expect(gh.issueLabels.get(PR)).toEqual(['shop/prod: add or update']);
    const outputs = await takeOutputs();
    expect(outputs).toEqual({
      has_changes: 'true',
      to_add: '1',
      to_change: '0',
      to_destroy: '0',
      to_upload: '0',
      drift: 'false',
      plan_hash: marker!.planHash,
      comment_id: String(comments[0]!.id),
    });
    expect(comments[0]!.body).toContain(`Plan hash: \`${outputs['plan_hash']}\``);
    const summary = await readFile(join(dir, 'step-summary.md'), 'utf8');
    expect(summary).toContain('**Plan: 1 to add, 0 to change, 0 to destroy.**');
    reviewedHash = outputs['plan_hash'] ?? '';
  });

  it('apply --plan-hash runs the reviewed plan without asking, and --comment posts its outcome beside the plan', async () => {
    const run = await cli(github('event-pr.json', { GITHUB_OUTPUT: '', GITHUB_STEP_SUMMARY: '' }), 'apply', '--plan-hash', reviewedHash, '--comment');
    expect(run.stderr).not.toContain('Error');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Apply complete! Resources: 1 added, 0 changed, 0 destroyed');
    const [plan, apply] = gh.commentsOn(PR);
    expect(parseMarker(plan!.body)?.kind).toBe('plan');
    expect(parseMarker(apply!.body)).toMatchObject({ kind: 'apply', project: 'shop', environment: 'prod', planHash: reviewedHash });
    expect(apply!.body).toContain('**Apply complete! Resources: 1 added, 0 changed, 0 destroyed; files: 0 uploaded, 0 deleted.**');
    gh.comments.set(PR, [plan!]);
  });

  it('a second plan after an edit updates the same comment in place', async () => {
    const before = gh.commentsOn(PR)[0]!;
    await writeFile(join(dir, 'assistants.yaml'), manifest('Be very kind.'));
    const run = await cli(github('event-pr.json'), 'plan', '--comment', '--label');
    expect(run.code).toBe(0);
    const after = gh.commentsOn(PR);
    expect(after).toHaveLength(1);
    expect(after[0]!.id).toBe(before.id);
    expect(after[0]!.body).toContain('Be very kind.');
    expect(run.stderr).toContain('(one comment: 1 updated)');
    const outputs = await takeOutputs();
    expect(outputs['comment_id']).toBe(String(before.id));
    expect(outputs['to_change']).toBe('1');
    reviewedHash = outputs['plan_hash'] ?? '';
  });

  it('apply --plan-hash refuses, showing the plan now, when something changed after the review', async () => {
    const api = new AssistantsApi(createConfiguration({ apiKey: server.apiKey, baseUrl: server.url }));
    const [live] = (await api.listAssistants()).data;
    await api.modifyAssistant({ assistantId: live!.id, modifyAssistantRequest: { name: 'Changed by hand' } });
    const run = await cli({ OPENAI_API_KEY: server.apiKey }, 'apply', '--plan-hash', reviewedHash);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('name         = "Changed by hand" -> "Support"');
    expect(run.stderr.trim()).toMatch(/^Error: Refusing to apply: the plan made now \(hash [0-9a-f]{12}: 0 to add, 1 to change, 0 to destroy, 0 files to upload, 0 to delete \(~ support\)\) is not the reviewed plan \(hash [0-9a-f]{12}\); something changed since the review/);
    expect((await api.getAssistant({ assistantId: live!.id })).instructions).toBe('Be kind.');
    expect(run.stdout).not.toContain('Apply complete');
  });

  it('a pull request from a fork gets a notice, not a failure, and nothing is sent', async () => {
    const sent = gh.requests.length;
    const run = await cli(github('event-fork.json', { GITHUB_TOKEN: 'ghs_readOnlyForkToken12345' }), 'plan', '--comment', '--comment-required', '--detailed-exitcode');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Notice: pull request #8 comes from a fork, whose jobs get a read-only token and no secrets: nothing was posted to it');
    expect(run.stderr).toContain('::notice::pull request #8 comes from a fork');
    expect(gh.requests.length).toBe(sent);
    await takeOutputs();
  });

  it('a comment that fails is a warning that keeps the exit code, or with --comment-required an error naming the permission', async () => {
    gh.readOnly = true;
    try {
      const soft = await cli(github('event-pr.json'), 'plan', '--comment', '--detailed-exitcode');
      expect(soft.code).toBe(2);
      expect(soft.stderr).toMatch(/^Warning: GitHub: could not update a comment on pull request #7 in acme\/assistants-config: PATCH .* answered 403: Resource not accessible by integration; the token lacks the permission issues: write or pull-requests: write \(grant it under the job's permissions:\)\. The exit code is unchanged/m);
      expect(soft.stderr).toContain('::warning::GitHub: could not update a comment');
      const hard = await cli(github('event-pr.json'), 'plan', '--comment', '--comment-required');
      expect(hard.code).toBe(1);
      expect(hard.stderr).toMatch(/^Error: GitHub: could not update a comment on pull request #7 .* the token lacks the permission issues: write or pull-requests: write/m);
      for (const out of [soft.stdout, soft.stderr, hard.stdout, hard.stderr]) expect(out).not.toContain(gh.token);
    } finally {
      gh.readOnly = false;
      await takeOutputs();
    }
  });

  it('the nightly drift check comments on its tracking issue and fails the job', async () => {
    const run = await cli(github('event-schedule.json'), 'plan', '--detailed-exitcode', '--comment', '--comment-issue', '3');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Commented on issue #3');
    expect(gh.commentsOn(3)[0]?.body).toContain('Changed by hand');
    expect((await takeOutputs())['drift']).toBe('true');
  });

  it('validate annotates each manifest problem where it is', async () => {
    await writeFile(join(dir, 'bad.yaml'), 'version: 1\nproject: Shop\nassistants:\n  support:\n    model: gpt-4\n    tools: [{ type: browser }]\n    modle: x\n');
    const run = await runCli(['validate', '-f', 'bad.yaml'], { cwd: dir, env: { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: dir } });
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n').filter((l) => l.startsWith('::error'))).toEqual([
      '::error file=bad.yaml,line=2,col=10::project "Shop" must be 1-63 lowercase letters, digits, _ or -, starting with a letter or digit',
      '::error file=bad.yaml,line=6,col=21::type "browser" is not one of: code_interpreter, retrieval, function',
      '::error file=bad.yaml,line=7,col=5::unknown field "modle" in assistant "support"; did you mean "model"?',
    ]);
  });
});

describe('GitLab CI', () => {
  it('plan --comment posts to the merge request, writes the Terraform report, and validate writes Code Quality', async () => {
    const gl = await new GitLabStandIn().start();
    try {
      const env = {
        OPENAI_API_KEY: server.apiKey,
        GITLAB_CI: 'true',
        CI_API_V4_URL: gl.apiUrl,
        CI_PROJECT_ID: gl.projectId,
        CI_PROJECT_URL: 'https://gitlab.example.com/acme/assistants',
        CI_MERGE_REQUEST_IID: '12',
        CI_MERGE_REQUEST_PROJECT_ID: gl.projectId,
        CI_MERGE_REQUEST_SOURCE_PROJECT_ID: gl.projectId,
        CI_PROJECT_DIR: dir,
        GITLAB_TOKEN: gl.token,
      };
      const run = await cli(env, 'plan', '--comment', '--gitlab-report', 'tfplan.json');
      expect(run.code).toBe(0);
      expect(gl.userNotes(12)).toHaveLength(1);
      expect(run.stderr).toContain('Commented on merge request !12 (one comment: 1 posted): https://gitlab.example.com/acme/assistants/-/merge_requests/12#note_');
      expect(JSON.parse(await readFile(join(dir, 'tfplan.json'), 'utf8'))).toEqual({ create: 0, update: 1, delete: 0 });

      const invalid = await runCli(['validate', '-f', 'bad.yaml', '--codequality', 'gl-code-quality.json'], { cwd: dir, env });
      expect(invalid.code).toBe(1);
      const report = JSON.parse(await readFile(join(dir, 'gl-code-quality.json'), 'utf8')) as Array<Record<string, unknown>>;
      expect(report).toHaveLength(3);
      expect(report[0]).toMatchObject({ check_name: 'assistants-manifest-error', severity: 'major', location: { path: 'bad.yaml', lines: { begin: 2 } } });
      expect(report[0]?.['fingerprint']).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      await gl.close();
    }
  });
});
