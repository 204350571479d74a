/**
 * State in PostgreSQL through the built CLI, as CI runners use it: two working copies
 * racing for one state, kill -9 mid-apply, history and rollback, push and pull, and bad
 * connection settings. Every run carries a password in PG_CONN_STR (the test server
 * trusts loopback, so it is ignored) and no output may show it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AssistantsApi, createConfiguration, FilesApi } from '../../src/api/index.js';
import { parseState } from '../../src/state/format.js';
import { adminQuery, dropSchema, freshSchema, pgUrl } from '../support/pg.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeProject, runCli, runCliInProcess, startCli, withEndpoint, writeFiles, type CliResult } from './cli.js';

const PASSWORD = 'pg-secret-3f9a1c';

function manifest(count: number, version: string, schema: string): string {
  const lines = ['version: 1', 'project: fleet', `backend: { type: pg, schema: ${schema} }`, 'files:', '  guide:', '    path: guide.md', 'assistants:'];
  for (let i = 0; i < count; i++) {
    lines.push(`  a${i}:`, `    name: Assistant ${i}`, '    model: gpt-4', `    instructions: "${version} for ${i}"`);
    if (i % 10 === 0) lines.push('    tools: [{ type: retrieval }]', '    files: [guide]');
  }
  return `${lines.join('\n')}\n`;
}

function project(count: number, version: string, schema: string): Record<string, string> {
  return { 'assistants.yaml': manifest(count, version, schema), 'guide.md': `# Guide ${version}\n` };
}

/** The run's server with a password in the URL (ignored by a server that trusts loopback). */
function connectionString(): string {
  const url = new URL(pgUrl());
  if (url.password === '') url.password = PASSWORD;
  return url.toString();
}

let server: TestServer;
let api: AssistantsApi;
let files: FilesApi;
const schemas: string[] = [];
beforeAll(async () => {
  server = await startTestServer({ latencyMs: 20 });
  api = new AssistantsApi(createConfiguration({ apiKey: server.apiKey, baseUrl: server.url }));
  files = new FilesApi(createConfiguration({ apiKey: server.apiKey, baseUrl: server.url }));
});
afterAll(async () => server.close());
afterEach(async () => {
  await Promise.all(schemas.splice(0).map((schema) => dropSchema(schema)));
});

function newSchema(): string {
  const schema = freshSchema();
  schemas.push(schema);
  return schema;
}

const env = (): Record<string, string> => ({ OPENAI_API_KEY: server.apiKey, PG_CONN_STR: connectionString() });

/** Runs the CLI and checks that the password shows nowhere in what it printed. */
async function cli(args: string[], cwd: string, extraEnv: Record<string, string> = {}, run = runCli): Promise<CliResult> {
  const result = await run(withEndpoint(args, server.url), { cwd, env: { ...env(), ...extraEnv } });
  expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  return result;
}

/** The same, in-process: for the runs after a command's first, which prove the state's behaviour, not a process's. */
const inProcess = (args: string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<CliResult> => cli(args, cwd, extraEnv, runCliInProcess);

async function ownedByKey(): Promise<Map<string, string[]>> {
  const byKey = new Map<string, string[]>();
  for await (const a of api.iterateAssistants({})) {
    const tag = a.metadata?.['assistants-iac'];
    if (tag?.startsWith('fleet/')) byKey.set(tag, [...(byKey.get(tag) ?? []), a.id]);
  }
  return byKey;
}

afterEach(async () => {
  // Each test starts from an empty server.
  await fetch(`${server.origin}/_admin/reset`, { method: 'POST' });
});

describe('two working copies sharing one pg state, as two CI runners', () => {
  it('while one applies, the other exits 3 naming it, or waits with --lock-timeout; then both see one state', async () => {
    const schema = newSchema();
    const [first, second] = await Promise.all([makeProject(project(20, 'v1', schema)), makeProject(project(20, 'v1', schema))]);
    const apply = ['apply', '--auto-approve', '--endpoint', server.url];
    const a = startCli(apply, { cwd: first as string, env: env() });
    // Hold the first runner still once it holds the lock, so the race has one outcome.
    const deadline = Date.now() + 20_000;
    while ((await adminQuery(`SELECT pid FROM "${schema}".locks`).catch(() => [])).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    a.child.kill('SIGSTOP');
    try {
      const b = await cli(['apply', '--auto-approve'], second as string);
      expect(b.code).toBe(3);
      expect(b.stderr).toMatch(
        new RegExp(`^Error: State is locked by apply \\(pid ${a.child.pid} on .+ since .+, lock ID [0-9a-f-]{36}\\)\\. Wait for it, or if that process is gone run: assistants force-unlock [0-9a-f-]{36}\\n$`),
      );
      const c = startCli([...apply, '--lock-timeout', '60s'], { cwd: second as string, env: env() });
      let waiting = '';
      c.child.stderr?.on('data', (chunk: string) => (waiting += chunk));
      while (!waiting.includes('waiting up to 60s') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(waiting).toMatch(new RegExp(`^State is locked by apply \\(pid ${a.child.pid} .*\\); waiting up to 60s for it\\.\\.\\.\\n`));
      a.child.kill('SIGCONT');
      const [done, waited] = await Promise.all([a.result, c.result]);
      expect([done.code, waited.code], done.stderr + waited.stderr).toEqual([0, 0]);
      expect(done.stdout + done.stderr + waited.stdout + waited.stderr).not.toContain(PASSWORD);
    } finally {
      a.child.kill('SIGCONT');
    }

    const lists = await Promise.all([cli(['state', 'list'], first as string), cli(['state', 'list'], second as string)]);
    expect(lists[0]?.stdout.split('\n').filter(Boolean)).toHaveLength(21);
    expect(lists[1]?.stdout).toBe(lists[0]?.stdout);
    for (const dir of [first, second]) expect((await cli(['plan', '--detailed-exitcode'], dir as string)).code).toBe(0);
    const byKey = await ownedByKey();
    expect(byKey.size).toBe(20);
    expect([...byKey.values()].filter((ids) => ids.length > 1)).toEqual([]);
  }, 60_000);
});

describe('apply killed with SIGKILL, state in pg', () => {
  it('after a kill at each of 5 moments, the next apply starts at once (no stale lock) and converges with no duplicate', async () => {
    const schema = newSchema();
    const dir = await makeProject(project(30, 'v0', schema));
    let midway = 0;
    for (let cycle = 0; cycle < 5; cycle++) {
      await writeFiles(dir, project(30, `v${cycle}`, schema));
      const before = server.stats().requests;
      const { child, result } = startCli(['apply', '--auto-approve', '--endpoint', server.url], { cwd: dir, env: env() });
      // Kill after 2, 9, 16, 23 and 30 of its ~33 requests.
      const deadline = Date.now() + 20_000;
      while (server.stats().requests - before < 2 + cycle * 7 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
      child.kill('SIGKILL');
      if ((await result).signal === 'SIGKILL') midway++;

      const next = await inProcess(['apply', '--auto-approve'], dir);
      expect(next.code, next.stderr).toBe(0);
      expect(next.stderr).not.toMatch(/locked|waiting/);
      const byKey = await ownedByKey();
      expect(byKey.size).toBe(30);
      expect([...byKey.values()].filter((ids) => ids.length > 1)).toEqual([]);
      const [row] = await adminQuery<{ document: { assistants: Record<string, { id: string }>; files: Record<string, { id: string }>; pendingUploads?: unknown } }>(
        `SELECT document FROM "${schema}".states`,
      );
      const state = row!.document;
      expect(Object.keys(state.assistants)).toHaveLength(30);
      expect(state.pendingUploads).toBeUndefined();
      const uploaded = (await files.listFiles({ purpose: 'assistants' })).data.map((f) => f.id);
      expect(uploaded).toEqual(Object.values(state.files).map((f) => f.id));
      expect((await inProcess(['plan', '--detailed-exitcode'], dir)).code).toBe(0);
    }
    expect(midway).toBe(5);
  }, 90_000);
});

describe('history, rollback, push and pull', () => {
  it('lists every serial, shows and restores one, refuses a rollback across lineages, and moves state to and from a file', async () => {
    const schema = newSchema();
    const dir = await makeProject(project(2, 'v1', schema));
    expect((await inProcess(['apply', '--auto-approve'], dir)).code).toBe(0);
    await writeFiles(dir, project(3, 'v2', schema));
    expect((await inProcess(['apply', '--auto-approve'], dir)).code).toBe(0);

    const history = await cli(['state', 'history'], dir);
    expect(history.code).toBe(0);
    const rows = history.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^SERIAL +WRITTEN +BY +COMMAND +ASSISTANTS +FILES +LINEAGE$/);
    expect(rows.slice(1).map((r) => r.split(/ {2,}/).filter((c, i) => i === 0 || i === 3 || i === 4))).toEqual([
      ['3', 'apply', '3'],
      ['2', 'apply', '2'],
      ['1', 'apply', '0'],
    ]);
    const atTwo = JSON.parse((await inProcess(['state', 'show', '--serial', '2'], dir)).stdout) as { serial: number; assistants: Record<string, unknown> };
    expect(atTwo.serial).toBe(2);
    expect(Object.keys(atTwo.assistants).sort()).toEqual(['a0', 'a1']);

    const rollback = await cli(['state', 'rollback', '2'], dir);
    expect(rollback.stdout).toMatch(/^Rolled back pg .* schema t_\w+ state fleet\/default to serial 2, written as serial 4: 2 assistant\(s\), 1 file\(s\)\./);
    expect((await inProcess(['state', 'list'], dir)).stdout.split('\n').filter((l) => l.startsWith('a'))).toEqual([expect.stringMatching(/^a0\t/), expect.stringMatching(/^a1\t/)]);
    // The next apply adopts a2 again by its ownership tag: nothing lost, nothing duplicated.
    expect((await inProcess(['apply', '--auto-approve'], dir)).code).toBe(0);
    expect((await ownedByKey()).size).toBe(3);

    const pulled = await cli(['state', 'pull', 'copy.json'], dir);
    expect(pulled.stdout).toMatch(/^Copied serial 5 of lineage [0-9a-f-]{36} from pg .* to .*copy\.json, as serial 6\.\n$/);
    const copy = parseState(await readFile(join(dir, 'copy.json'), 'utf8'), 'copy.json');
    expect((await inProcess(['state', 'push', 'copy.json'], dir)).stdout).toMatch(/already holds this state \(lineage .*, serial 5\); nothing to copy\.\n$/);
    expect((await inProcess(['state', 'rollback', '4'], dir)).code).toBe(0);
    const divergent = await inProcess(['state', 'push', 'copy.json'], dir);
    expect(divergent.code).toBe(1);
    expect(divergent.stderr).toMatch(/^Error: refusing to overwrite: pg .* and .*copy\.json both have serial 6 but differ; pass --force/);

    const other = { ...copy, lineage: '00000000-0000-4000-8000-000000000000', serial: 1 };
    await writeFile(join(dir, 'other.json'), JSON.stringify(other));
    const refused = await inProcess(['state', 'push', 'other.json'], dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/holds a state of lineage [0-9a-f-]{36}, .*other\.json one of lineage 00000000-0000-4000-8000-000000000000; pass --force/);
    expect((await inProcess(['state', 'push', 'other.json', '--force'], dir)).stdout).toMatch(/as serial 7 \(forced over lineage [0-9a-f-]{36}\)\.\n$/);
    const across = await inProcess(['state', 'rollback', '2'], dir);
    expect(across.code).toBe(1);
    expect(across.stderr).toMatch(/serial 2 belongs to lineage [0-9a-f-]{36}, the current state to lineage 00000000-0000-4000-8000-000000000000; a rollback never crosses lineages/);
  }, 60_000);

  it('refuses a row edited by hand into an invalid state, naming it, until a rollback restores the last good serial', async () => {
    const schema = newSchema();
    const dir = await makeProject(project(1, 'v1', schema));
    expect((await inProcess(['apply', '--auto-approve'], dir)).code).toBe(0);
    await adminQuery(`UPDATE "${schema}".states SET document = document - 'lineage'`);
    const before = server.stats().requests;
    const plan = await cli(['plan'], dir);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toMatch(/^Error: pg .* state fleet\/default: state row serial 2 \(written by .+ at .+\): invalid state: .*lineage.*; "assistants state history" lists the serials kept, and "assistants state rollback SERIAL" writes one back\n$/);
    expect(server.stats().requests).toBe(before);
    expect((await inProcess(['state', 'rollback', '2'], dir)).code).toBe(0);
    expect((await inProcess(['plan', '--detailed-exitcode'], dir)).code).toBe(0);
  }, 30_000);
});

describe('a saved plan on the pg backend', () => {
  it('prints an apply command that names the backend it was made with, and that command applies it', async () => {
    const schema = newSchema();
    const dir = await makeProject({ 'assistants.yaml': 'version: 1\nproject: fleet\nassistants:\n  a0:\n    model: gpt-4\n' });
    const extra = { PG_SCHEMA_NAME: schema };
    const saved = await cli(['plan', '--state-backend', 'pg', '--out', 'plan.json'], dir, extra);
    expect(saved.code, saved.stderr).toBe(0);
    const printed = /apply it from this folder with: (assistants apply .*)\n/.exec(saved.stderr)?.[1];
    expect(printed).toBe('assistants apply plan.json --state-backend pg');
    expect((await cli(printed!.split(' ').slice(1), dir, extra)).code).toBe(0);
    expect((await cli(['state', 'list', '--state-backend', 'pg'], dir, extra)).stdout).toMatch(/^a0\tasst_\w+\n$/);
  });
});

describe('bad connection settings and databases', () => {
  it('each gets one line and exit 1, sends nothing to the API, and never shows the password', async () => {
    const schema = newSchema();
    const dir = await makeProject(project(1, 'v1', schema));
    const url = new URL(connectionString());
    const variant = (change: (u: URL) => void): string => {
      const copy = new URL(url);
      change(copy);
      return copy.toString();
    };
    const role = `assistants_test_${schema}`;
    await adminQuery(`CREATE ROLE "${role}" LOGIN`);
    try {
      const cases: Array<[string, Record<string, string>, RegExp]> = [
        ['unreachable', { PG_CONN_STR: variant((u) => (u.port = '9')) }, /^Error: cannot reach PostgreSQL at .*:9\/.* \(ECONNREFUSED\): check that it runs and that PG_CONN_STR, or PGHOST and PGPORT, name it\n$/],
        ['missing database', { PG_CONN_STR: variant((u) => (u.pathname = '/no_such_db')) }, /^Error: PostgreSQL at .*\/no_such_db: database "no_such_db" does not exist; create it \(createdb no_such_db\) or name another in PG_CONN_STR or PGDATABASE\n$/],
        ['no permission to create the schema', { PG_CONN_STR: variant((u) => (u.username = role)) }, new RegExp(`^Error: PostgreSQL at ${role}@.*: no permission to create schema "${schema}"; .*--skip-schema-creation.*\\n$`)],
        ['a malformed connection string', { PG_CONN_STR: `host=db password=${PASSWORD} nonsense` }, /^Error: PG_CONN_STR is not a valid connection string \(expected key=value pairs\); .*\(the value is not shown: it may hold a password\)\n$/],
      ];
      for (const [name, extra, expected] of cases) {
        const before = server.stats().requests;
        const result = await cli(['apply', '--auto-approve'], dir, extra);
        expect(result.code, name).toBe(1);
        expect(result.stderr, name).toMatch(expected);
        expect(server.stats().requests, name).toBe(before);
      }
    } finally {
      await adminQuery(`DROP ROLE "${role}"`);
    }

    expect((await cli(['apply', '--auto-approve'], dir)).code).toBe(0);
    await adminQuery(`UPDATE "${schema}".schema_version SET version = 2`);
    const before = server.stats().requests;
    const newer = await cli(['plan'], dir);
    expect(newer.code).toBe(1);
    expect(newer.stderr).toMatch(new RegExp(`^Error: PostgreSQL at .*: schema "${schema}" is at version 2, newer than this tool supports \\(1\\); upgrade assistants to use it\\n$`));
    expect(server.stats().requests).toBe(before);
    const fileToo = await cli(['plan', '--state', 'x.json'], dir);
    expect(fileToo.stderr).toBe('Error: --state names a local state file, but the state backend here is pg; drop --state, or choose --state-backend local.\n');
  }, 60_000);
});
