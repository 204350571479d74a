/**
 * Every way out of a command releases the state lock, with real processes and signals:
 * Ctrl-C at the approval prompt (in a terminal), a reader that goes away (`| head -1`),
 * and a second Ctrl-C while requests hang, which must not wait for the request timeout
 * (with the state in the local file and in PostgreSQL, whose lock is released, not merely
 * dropped with the connection: no holder row is left for the next command to take over).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssistantsApi, createConfiguration } from '../../src/api/index.js';
import { parseState } from '../../src/state/format.js';
import { adminQuery, dropSchema, freshSchema, pgUrl } from '../support/pg.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { CLI, makeProject, runCli, startCli, startCliInTerminal, waitForOutput, type CliResult } from './cli.js';

let server: TestServer;
let api: AssistantsApi;
beforeAll(async () => {
  server = await startTestServer();
  api = new AssistantsApi(createConfiguration({ apiKey: server.apiKey, baseUrl: server.url }));
});
afterAll(async () => server.close());

/** `count` assistants; each with `instructionLines` lines of instructions, so the plan's text can outgrow a pipe's buffer. */
function fleet(project: string, count: number, instructionLines = 1, header: string[] = []): string {
  const lines = ['version: 1', `project: ${project}`, ...header, 'assistants:'];
  for (let i = 0; i < count; i++) {
    lines.push(`  a${i}:`, '    model: gpt-4', '    instructions: |');
    for (let l = 0; l < instructionLines; l++) lines.push(`      Line ${l} of what assistant ${i} does, long enough to take some room in a plan.`);
  }
  return `${lines.join('\n')}\n`;
}

const LOCK = '.assistants/state/default.json.lock';
const stateOf = async (dir: string) => parseState(await readFile(join(dir, '.assistants/state/default.json'), 'utf8'), 'state');
const ownedBy = async (project: string): Promise<number> =>
  (await api.iterateAssistants({}).toArray()).filter((a) => a.metadata?.['assistants-iac']?.startsWith(`${project}/`)).length;

/** `command ARGS | head -1` in bash; the CLI's own exit status comes back as `cliCode`. */
async function pipedToHead(args: readonly string[], cwd: string, env: Record<string, string>): Promise<CliResult & { cliCode: number }> {
  const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;
  const script = `${[process.execPath, CLI, ...args].map(quote).join(' ')} | head -1; echo "cli exit \${PIPESTATUS[0]}" >&2`;
  const child = spawn('bash', ['-c', script], { cwd, env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (c, s) => resolve({ code: c, signal: s })),
  );
  const match = /cli exit (\d+)\n$/.exec(stderr);
  return { code, signal, stdout, stderr: stderr.replace(/cli exit \d+\n$/, ''), cliCode: match ? Number(match[1]) : -1 };
}

describe('Ctrl-C at the approval prompt', () => {
  it('cancels, changes nothing, releases the lock and exits 130', async () => {
    const dir = await makeProject({ 'assistants.yaml': fleet('prompted', 2) });
    const { child, result } = startCliInTerminal(['apply', '--endpoint', server.url], { cwd: dir, env: { OPENAI_API_KEY: server.apiKey } });
    await waitForOutput(child.stdout!, /Enter a value: /);
    expect(existsSync(join(dir, LOCK))).toBe(true);
    child.stdin!.write('\x03');
    const done = await result;
    child.stdin!.end();
    expect(done.code, done.stdout).toBe(130);
    expect(done.stdout).toContain('Error: apply cancelled: nothing was changed.');
    expect(done.stdout).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, LOCK))).toBe(false);
    expect(await ownedBy('prompted')).toBe(0);
  });
});

describe('a reader that goes away', () => {
  it('apply --auto-approve | head -1 finishes the apply, records it, releases the lock and exits 0 quietly', async () => {
    const dir = await makeProject({ 'assistants.yaml': fleet('piped', 4, 300) });
    const piped = await pipedToHead(['apply', '--auto-approve', '--endpoint', server.url], dir, { OPENAI_API_KEY: server.apiKey });
    expect(piped.stdout).toMatch(/^Project "piped", environment "default", endpoint \S+\n$/);
    expect(piped.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(piped.cliCode, piped.stderr).toBe(0);
    expect(existsSync(join(dir, LOCK))).toBe(false);
    expect(Object.keys((await stateOf(dir)).assistants)).toHaveLength(4);
    expect(await ownedBy('piped')).toBe(4);
    expect((await runCli(['plan', '--detailed-exitcode', '--endpoint', server.url], { cwd: dir, env: { OPENAI_API_KEY: server.apiKey } })).code).toBe(0);
  });

  it('plan | head -1 exits with the plan\'s own code and no stack trace', async () => {
    const dir = await makeProject({ 'assistants.yaml': fleet('piped-plan', 4, 300) });
    const piped = await pipedToHead(['plan', '--detailed-exitcode', '--endpoint', 'local'], dir, {});
    expect(piped.stderr).toBe('');
    expect(piped.cliCode).toBe(2);
  });
});

/** Where a test keeps its state: the local file beside the manifest, or a PostgreSQL schema of its own. */
interface StateHome {
  /** Lines for the manifest's header, and the environment the CLI needs. */
  header: string[];
  env: Record<string, string>;
  /** A holder row or lock file left: the lock was not released. */
  locked(dir: string): Promise<boolean>;
  assistants(dir: string): Promise<number>;
  drop(): Promise<void>;
}

const localHome = (): StateHome => ({
  header: [],
  env: {},
  locked: async (dir) => existsSync(join(dir, LOCK)),
  assistants: async (dir) => Object.keys((await stateOf(dir)).assistants).length,
  drop: async () => {},
});

const pgHome = (): StateHome => {
  const schema = freshSchema();
  return {
    header: [`backend: { type: pg, schema: ${schema} }`],
    env: { PG_CONN_STR: pgUrl() },
    locked: async () => (await adminQuery(`SELECT id FROM "${schema}".locks`)).length > 0,
    assistants: async () => {
      const [row] = await adminQuery<{ document: { assistants: Record<string, unknown> } }>(`SELECT document FROM "${schema}".states`);
      return Object.keys(row?.document.assistants ?? {}).length;
    },
    drop: () => dropSchema(schema),
  };
};

describe('a second Ctrl-C while requests hang', () => {
  it.each([
    { where: 'the local file', makeHome: localHome },
    { where: 'PostgreSQL', makeHome: pgHome },
  ])('gives them up at once, records what finished, releases the lock, and the next apply converges (state in $where)', async ({ makeHome }) => {
    const home = makeHome();
    const dir = await makeProject({ 'assistants.yaml': fleet('hung', 12, 1, home.header) });
    const serve = startCli(['serve', '--port', '0', '--latency-ms', '30'], { cwd: dir });
    const url = /listening on (\S+)\n/.exec(await waitForOutput(serve.child.stdout!, /listening on \S+\n/))![1]!;
    const env = { OPENAI_API_KEY: 'k', ...home.env };
    try {
      const apply = startCli(['apply', '--auto-approve', '--endpoint', url, '--parallelism', '2'], { cwd: dir, env });
      await waitForOutput(apply.child.stderr!, /(: done \(asst_\w+\)\n[^]*){3}/);
      // The server stops answering: the requests in flight would wait for the 60 s request timeout.
      serve.child.kill('SIGSTOP');
      apply.child.kill('SIGINT');
      await waitForOutput(apply.child.stderr!, /Interrupted: starting nothing new/);
      apply.child.kill('SIGINT');
      const interrupted = await apply.result;
      expect(interrupted.code, interrupted.stderr).toBe(130);
      expect(interrupted.stderr).toContain('Interrupted again: giving up the requests in flight');
      expect(interrupted.stderr).not.toMatch(/\n\s+at /);
      expect(await home.locked(dir)).toBe(false);
      const done = interrupted.stderr.match(/^create a\d+: done/gm) ?? [];
      expect(done.length).toBeGreaterThanOrEqual(3);
      expect(await home.assistants(dir)).toBe(done.length);

      serve.child.kill('SIGCONT');
      const again = await runCli(['apply', '--auto-approve', '--endpoint', url], { cwd: dir, env });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).not.toMatch(/Took over|locked/);
      expect(await home.assistants(dir)).toBe(12);
      const live = new AssistantsApi(createConfiguration({ apiKey: 'k', baseUrl: url }));
      expect((await live.iterateAssistants({}).toArray()).length).toBe(12);
    } finally {
      serve.child.kill('SIGCONT');
      serve.child.kill('SIGTERM');
      await serve.result;
      await home.drop();
    }
  });
});
