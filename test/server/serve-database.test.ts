/**
 * `assistants serve --database` as an operator runs it (the built CLI): migrations on
 * start or with --migrate, a newer schema refused, readiness, and SIGTERM handing the
 * server's runs back to the database for the other replicas.
 */
import { afterEach, expect, test } from 'vitest';
import { serveOptions } from '../../src/cli/commands/serve.js';
import { LATEST_VERSION } from '../../src/server/store/postgres/schema.js';
import { runCli } from '../e2e/cli.js';
import { adminQuery, dropSchema, freshSchema, pgUrl } from '../support/pg.js';
import { makeTempDir } from '../support/temp-dir.js';
import { call } from './http.js';
import { startServeProcess, type ServeProcess } from './pg-server.js';
import { ok, settle, threadWith, weatherAssistant } from './threads-support.js';

const schemas: string[] = [];
const processes: ServeProcess[] = [];
afterEach(async () => {
  await Promise.all(processes.splice(0).map((child) => child.stop('SIGKILL')));
  for (const schema of schemas.splice(0)) await dropSchema(schema);
});

function newSchema(): string {
  const schema = freshSchema();
  schemas.push(schema);
  return schema;
}

test('--migrate brings a schema up to date and exits; a schema newer than this version is refused, naming both versions', async () => {
  const schema = newSchema();
  const { dir } = await makeTempDir('serve-db-');
  const env = { PG_CONN_STR: pgUrl() };
  const first = await runCli(['serve', '--database', '--database-schema', schema, '--migrate'], { cwd: dir, env });
  expect(first.code, first.stderr).toBe(0);
  expect(first.stdout).toMatch(new RegExp(`^migrated schema ${schema} at \\S+: applied version 1\\n$`));
  const again = await runCli(['serve', '--database', pgUrl(), '--database-schema', schema, '--migrate'], { cwd: dir, env: {} });
  expect(again.stdout).toMatch(new RegExp(`^schema ${schema} at \\S+ is up to date\\n$`));
  expect(await adminQuery(`SELECT version FROM "${schema}".migrations`)).toEqual([{ version: LATEST_VERSION }]);

  // A newer release migrated it (version 99): this one must not write to it.
  await adminQuery(`INSERT INTO "${schema}".migrations (version, summary) VALUES (99, 'from the future')`);
  for (const args of [['--migrate'], ['--port', '0']]) {
    const refused = await runCli(['serve', '--database', '--database-schema', schema, ...args], { cwd: dir, env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `Error: Could not start the server: the database's schema "${schema}" is at version 99, newer than this version of assistants knows (${LATEST_VERSION}); run the newer assistants that migrated it, or give another --database-schema\n`,
    );
  }
});

test('options: --database is exclusive with --data; its companions need it; names and leases are checked; a password is never shown', async () => {
  const flags = { port: '0', host: '127.0.0.1' };
  expect(() => serveOptions({ ...flags, data: 'x.jsonl', database: true }, {})).toThrow('--data and --database are exclusive: the data lives in a file or in PostgreSQL, not both.');
  expect(() => serveOptions({ ...flags, migrate: true }, {})).toThrow('--migrate needs --database');
  expect(() => serveOptions({ ...flags, runLease: '5s' }, {})).toThrow('--run-lease needs --database');
  expect(() => serveOptions({ ...flags, database: true, databaseSchema: 'Bad-Name' }, {})).toThrow("--database-schema must be a lowercase SQL name (letters, digits, _; at most 63), got 'Bad-Name'.");
  expect(() => serveOptions({ ...flags, database: true, runLease: '500ms' }, {})).toThrow("--run-lease must be at least 1s (renewed every third of it), got '500ms'.");
  expect(serveOptions({ ...flags, database: 'postgres://u:s3cret-pw@db.example:6543/app' }, {})).toMatchObject({
    database: { schema: 'assistants_serve', connection: { host: 'db.example', port: 6543, user: 'u', database: 'app', description: 'u@db.example:6543/app' } },
  });
  const { dir } = await makeTempDir('serve-db-');
  const unreachable = await runCli(['serve', '--port', '0', '--database', 'postgres://u:s3cret-pw@127.0.0.1:1/app'], { cwd: dir, env: {} });
  expect(unreachable.code).toBe(1);
  expect(unreachable.stderr).toMatch(/^Error: Could not start the server: the database at u@127\.0\.0\.1:1\/app is unavailable \(connect ECONNREFUSED 127\.0\.0\.1:1\); check that it runs/);
  expect(unreachable.stderr).not.toContain('s3cret-pw');
});

test('SIGTERM: the run held is handed back (due when it expires), and another replica carries it on', async () => {
  const schema = newSchema();
  const args = ['--database', '--database-schema', schema, '--run-lease', '30s'];
  const env = { PG_CONN_STR: pgUrl() };
  const [first, second] = [await startServeProcess(args, env), await startServeProcess(args, env)];
  processes.push(first, second);
  expect((await fetch(`${first.server.origin}/readyz`)).status).toBe(200);
  expect(await (await fetch(`${first.server.origin}/readyz`)).json()).toEqual({ status: 'ready', store: 'postgres' });

  const assistantId = await weatherAssistant(first.server);
  const threadId = await threadWith(first.server, 'What does get_weather say?');
  const run = await ok(call(first.server, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistantId }));
  const waiting = await settle(first.server, threadId, run.id as string);
  expect(waiting.status).toBe('requires_action');
  const [held] = await adminQuery<{ lease_owner: string | null }>(`SELECT lease_owner FROM "${schema}".run_progress WHERE id = $1`, [run.id]);
  expect(held?.lease_owner).toMatch(/:\d+:/);

  expect(await first.stop('SIGTERM')).toBe(0);
  const [handedBack] = await adminQuery<{ lease_owner: string | null; due: boolean }>(
    `SELECT lease_owner, abs(extract(epoch FROM due_at) - $2) < 2 AS due FROM "${schema}".run_progress WHERE id = $1`,
    [run.id, waiting.expires_at],
  );
  expect(handedBack).toEqual({ lease_owner: null, due: true });

  const calls = (waiting.required_action as { submit_tool_outputs: { tool_calls: Array<{ id: string }> } }).submit_tool_outputs.tool_calls;
  await ok(call(second.server, 'POST', `/threads/${threadId}/runs/${run.id as string}/submit_tool_outputs`, { tool_outputs: calls.map((c) => ({ tool_call_id: c.id, output: 'mild' })) }));
  expect((await settle(second.server, threadId, run.id as string)).status).toBe('completed');
  expect(first.stderr()).toBe('');
});
