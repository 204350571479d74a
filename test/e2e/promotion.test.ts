/**
 * Environment promotion on examples/environments against a real local server: diff as
 * resolved and as deployed, release records, and the gate of `apply --env prod
 * --promote-from staging` (once with local state, once with PostgreSQL). The first runs of
 * each test are the built CLI (`real`); the many after them run in-process (`cli`).
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AssistantsApi, createConfiguration } from '../../src/api/index.js';
import type { EnvironmentDiff } from '../../src/plan/env-diff.js';
import { dropSchema, freshSchema, pgUrl } from '../support/pg.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeTempDir } from '../support/temp-dir.js';
import { runCli, runCliInProcess, withEndpoint, type CliResult } from './cli.js';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'environments');
const validateDiff = new Ajv2020({ strict: false }).compile(JSON.parse(await readFile(join(import.meta.dirname, '..', '..', 'schemas', 'diff.schema.json'), 'utf8')) as object);

let server: TestServer;
let api: AssistantsApi;
beforeAll(async () => {
  server = await startTestServer();
  api = new AssistantsApi(createConfiguration({ apiKey: server.apiKey, baseUrl: server.url }));
});
afterAll(async () => server.close());
afterEach(async () => {
  await fetch(`${server.origin}/_admin/reset`, { method: 'POST' });
});

/** A copy of the example, and the CLI run in it against the test server with `env`. */
async function example(env: Record<string, string> = {}): Promise<{ dir: string; real: (...args: string[]) => Promise<CliResult>; cli: (...args: string[]) => Promise<CliResult> }> {
  const { dir } = await makeTempDir('promotion-');
  await cp(EXAMPLE, dir, { recursive: true, filter: (source) => basename(source) !== '.assistants' });
  const options = { cwd: dir, env: { OPENAI_API_KEY: server.apiKey, ...env } };
  const real = (...args: string[]): Promise<CliResult> => runCli(withEndpoint(args, server.url), options);
  const cli = (...args: string[]): Promise<CliResult> => runCliInProcess(withEndpoint(args, server.url), options);
  return { dir, real, cli };
}

async function edit(path: string, change: (text: string) => string): Promise<void> {
  const text = await readFile(path, 'utf8');
  const changed = change(text);
  expect(changed).not.toBe(text);
  await writeFile(path, changed);
}

/** Each differing assistant's parts, intended or not, from `diff --json`. */
function partsOf(diff: EnvironmentDiff, intended: boolean): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const assistant of diff.assistants) {
    const parts = assistant.differences.filter((d) => d.intended === intended).map((d) => d.part);
    if (parts.length > 0) out[assistant.key] = parts;
  }
  return out;
}

const OVERLAYS = {
  faq: ['model', 'name'],
  triage: ['model', 'name', 'description', 'metadata.environment', 'metadata.oncall'],
};

async function instructionsOf(key: string, environment: string): Promise<string | null | undefined> {
  for await (const assistant of api.iterateAssistants({})) {
    if (assistant.metadata?.['assistants-iac'] === `support-desk/${environment}/${key}`) return assistant.instructions;
  }
  return undefined;
}

describe('assistants diff on examples/environments', () => {
  it('lists exactly the overlay differences, as resolved and as deployed, and then the drift of a hand edit in staging', async () => {
    const { real, cli } = await example();
    const resolved = await real('diff', '--env', 'staging', '--env', 'prod', '--json');
    expect(resolved.code, resolved.stderr).toBe(2);
    const diff = JSON.parse(resolved.stdout) as EnvironmentDiff;
    expect(validateDiff(diff), JSON.stringify(validateDiff.errors)).toBe(true);
    expect(diff).toMatchObject({ mode: 'resolved', from: 'staging', to: 'prod', summary: { intended: 7, other: 0 } });
    expect(partsOf(diff, true)).toEqual(OVERLAYS);
    expect(partsOf(diff, false)).toEqual({});
    const text = await real('diff', '--env', 'staging', '--env', 'prod');
    expect(text.stdout).toContain('Intended differences (declared per environment in the manifest):');
    expect(text.stdout).toContain('      ~ model = "gpt-4-turbo" -> "gpt-4"\n');
    expect(text.stdout).not.toContain('Other differences');
    expect(text.stdout).toMatch(/Diff: 2 assistants differ: 7 intended differences, 0 other\.\n$/);
    expect((await cli('diff', '--env', 'prod', '--env', 'prod')).code).toBe(1);

    const noState = await cli('diff', '--env', 'staging', '--env', 'prod', '--live');
    expect(noState.code).toBe(1);
    expect(noState.stderr).toMatch(/^Error: --live: no state for environment "staging" at .*staging\.json: nothing is deployed there yet; apply it first\.\n$/);
    for (const env of ['staging', 'prod']) expect((await cli('apply', '--env', env, '--auto-approve')).code).toBe(0);
    const deployed = JSON.parse((await real('diff', '--env', 'staging', '--env', 'prod', '--live', '--json')).stdout) as EnvironmentDiff;
    expect(deployed.mode).toBe('live');
    expect(partsOf(deployed, true)).toEqual(OVERLAYS);
    expect(partsOf(deployed, false)).toEqual({});

    const ids = JSON.parse((await cli('state', 'show', '--env', 'staging', 'triage')).stdout) as { id: string };
    await api.modifyAssistant({ assistantId: ids.id, modifyAssistantRequest: { instructions: 'Route every ticket to billing.' } });
    const drift = await cli('diff', '--env', 'staging', '--env', 'prod', '--live');
    expect(drift.code).toBe(2);
    expect(drift.stdout).toContain('Other differences (not declared per environment: changed by hand, or not promoted yet):');
    expect(drift.stdout).toMatch(/^ {2}# assistant "triage": staging -> prod\n {2}~ assistant "triage" \{\n {6}~ instructions = <<-EOT\n.*\n {10}- Route every ticket to billing\.$/m);
    const drifted = JSON.parse((await cli('diff', '--env', 'staging', '--env', 'prod', '--live', '--json')).stdout) as EnvironmentDiff;
    expect(partsOf(drifted, false)).toEqual({ triage: ['instructions'] });
    expect(partsOf(drifted, true)).toEqual(OVERLAYS);
    expect((await cli('diff', '--env', 'staging', '--env', 'prod', '--live', '--markdown')).stdout).toContain('| 🟡 &#126; | assistant | triage | update | drift, or not promoted yet | instructions |');
  }, 90_000);
});

const backends = [
  { backend: 'local', env: (): Record<string, string> => ({}) },
  { backend: 'pg', env: (): Record<string, string> => ({ ASSISTANTS_STATE_BACKEND: 'pg', PG_CONN_STR: pgUrl(), PG_SCHEMA_NAME: schemas.at(-1) ?? '' }) },
] as const;
const schemas: string[] = [];
afterEach(async () => {
  await Promise.all(schemas.splice(0).map((schema) => dropSchema(schema)));
});

describe.each(backends)('the gate with $backend state', ({ backend, env }) => {
  it('passes what staging ran (and tested), refuses the rest naming it, passes prod-only values, and --only-promoted leaves out what waits', async () => {
    if (backend === 'pg') schemas.push(freshSchema());
    const { dir, real, cli } = await example(env());
    const ok = async (...args: string[]): Promise<CliResult> => {
      const result = await cli(...args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      return result;
    };

    // Bad input: one line each, exit 1.
    for (const [args, message] of [
      [['--promote-from', 'qa'], /^Error: --promote-from qa: the manifest declares no environment "qa" \(it declares dev, staging, prod\)\.\n$/],
      [['--promote-from', 'staging'], /^Error: --promote-from staging: no state at .*: nothing was applied to staging yet; apply there first\.\n$/],
      [['--promote-from', 'prod'], /^Error: --promote-from prod: that is the environment being changed; name the one before it/],
      [['--only-promoted'], /^Error: --require-tests and --only-promoted go with --promote-from ENV/],
    ] as const) {
      const refused = await cli('apply', '--env', 'prod', '--auto-approve', ...args);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(message);
      expect(refused.stderr.trimEnd().split('\n')).toHaveLength(1);
    }

    // Staging first; then prod gets exactly that.
    expect((await real('apply', '--env', 'staging', '--auto-approve')).code).toBe(0);
    const first = await real('apply', '--env', 'prod', '--auto-approve', '--promote-from', 'staging');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/^Promotion from staging to prod:\n {2}faq: promoted from staging \(content [0-9a-f]{12}, released \d{4}-/m);
    expect(first.stderr).toMatch(/^ {2}triage: promoted from staging/m);
    const releases = (await ok('state', 'show', '--env', 'prod', '--releases')).stdout;
    const staging = (await ok('state', 'show', '--env', 'staging', '--releases')).stdout;
    expect(releases).toMatch(/^ASSISTANT +CONTENT +COMMIT +APPLIED +BY +TESTS\nfaq +[0-9a-f]{12} +- +\S+ +\S+ +-\ntriage +[0-9a-f]{12} /);
    const contentOf = (table: string, key: string): string | undefined => table.split('\n').find((line) => line.startsWith(`${key} `))?.split(/ +/)[1];
    expect(contentOf(releases, 'triage')).toBe(contentOf(staging, 'triage'));

    const wrongEndpoint = await runCli(['apply', '--env', 'prod', '--auto-approve', '--promote-from', 'staging', '--endpoint', 'local'], { cwd: dir, env: env() });
    expect(wrongEndpoint.code).toBe(1);
    expect(wrongEndpoint.stderr).toMatch(/^Error: --promote-from staging: its state is at endpoint http:\/\/127\.0\.0\.1:\d+\/v1, not local where staging is; promote between environments of one project and endpoint\.\n$/);

    // An edit of the shared part not yet in staging: refused, naming the assistant; nothing changes.
    const prompt = join(dir, 'prompts', 'triage.md');
    await edit(prompt, (text) => text.replace('using the attached runbook', 'using the attached runbook and the customer\'s plan'));
    const refused = await cli('apply', '--env', 'prod', '--auto-approve', '--promote-from', 'staging');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^Error: Refusing to promote to prod: triage not promoted from staging; nothing was changed\. Apply to staging first, or give --only-promoted to leave it out\.\n {2}triage: waiting in staging: its instructions differ from what staging runs \(released \d{4}-[^)]+\): apply it to staging first\n$/,
    );
    expect(await instructionsOf('triage', 'prod')).not.toContain('customer\'s plan');
    const planRefused = await cli('plan', '--env', 'prod', '--promote-from', 'staging');
    expect(planRefused.code).toBe(1);
    expect(planRefused.stdout).toBe('');

    // Applied to staging and tested there: promoted, with --require-tests.
    await ok('apply', '--env', 'staging', '--auto-approve');
    const untested = await cli('apply', '--env', 'prod', '--auto-approve', '--promote-from', 'staging', '--require-tests');
    expect(untested.code).toBe(1);
    expect(untested.stderr).toContain('  triage: waiting in staging: no tests recorded in staging on this content: run "assistants test --env staging"\n');
    await ok('test', '--env', 'staging');
    expect((await ok('state', 'show', '--env', 'staging', '--releases')).stdout).toMatch(/^triage +[0-9a-f]{12} +- +\S+ +\S+ +passed \d{4}-/m);
    const promoted = await ok('apply', '--env', 'prod', '--auto-approve', '--promote-from', 'staging', '--require-tests');
    expect(promoted.stderr).toMatch(/^ {2}triage: promoted from staging \(content [0-9a-f]{12}, released [^,]+, tests passed \d{4}-[^)]+\)$/m);
    expect(promoted.stdout).toContain('Apply complete! Resources: 0 added, 1 changed, 0 destroyed');
    expect(await instructionsOf('triage', 'prod')).toContain('customer\'s plan');

    // Prod's own overlay values: environment-specific, passes without anything new in staging.
    await edit(join(dir, 'assistants.yaml'), (text) => text.replace('      model: gpt-4\n', '      model: gpt-4o\n'));
    const own = await ok('apply', '--env', 'prod', '--auto-approve', '--promote-from', 'staging', '--require-tests');
    expect(own.stderr).toContain('  faq: environment-specific change only (model, name)\n');
    expect(own.stderr).toContain('  triage: environment-specific change only (description, metadata.environment, metadata.oncall, model, name)\n');
    expect(own.stdout).toContain('0 added, 2 changed, 0 destroyed');

    // Two shared edits, only one of them in staging: the other waits.
    await edit(prompt, (text) => `${text}Never guess a team: say "unknown" instead.\n`);
    await edit(join(dir, 'assistants.yaml'), (text) => text.replace('in two or three sentences', 'in one or two sentences'));
    await ok('apply', '--env', 'staging', '--auto-approve', '--target', 'triage');
    const waiting = await cli('apply', '--env', 'prod', '--auto-approve', '--promote-from', 'staging');
    expect(waiting.code).toBe(1);
    expect(waiting.stderr).toMatch(/^Error: Refusing to promote to prod: faq not promoted from staging;/);
    const partial = await ok('apply', '--env', 'prod', '--auto-approve', '--promote-from', 'staging', '--only-promoted');
    expect(partial.stderr).toContain('Waiting in staging, left out of this plan:\n  faq: waiting in staging: its instructions differ from what staging runs');
    expect(partial.stderr).toMatch(/^ {2}triage: promoted from staging/m);
    expect(partial.stdout).toContain('0 added, 1 changed, 0 destroyed');
    expect(await instructionsOf('triage', 'prod')).toContain('Never guess a team');
    expect(await instructionsOf('faq', 'prod')).toContain('in two or three sentences');
    const after = (await ok('state', 'show', '--env', 'prod', '--releases')).stdout;
    expect(contentOf(after, 'faq')).toBe(contentOf(releases, 'faq'));
    expect(contentOf(after, 'triage')).toBe(contentOf((await ok('state', 'show', '--env', 'staging', '--releases')).stdout, 'triage'));
    const nothing = await ok('plan', '--env', 'prod', '--promote-from', 'staging', '--only-promoted', '--detailed-exitcode');
    expect(nothing.stdout).toContain('No changes. Your assistants match the manifest.');
    // Some 30 CLI runs: well within this on a quiet machine, the margin is for a loaded one.
  }, 180_000);
});
