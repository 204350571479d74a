/**
 * The database restarted under load, on a private throwaway PostgreSQL (so no other test
 * sees it go): two replicas keep answering, requests the database could not serve are 503s
 * in the API's error shape, none hangs, every write a client saw acknowledged is there
 * afterwards, runs under way finish, and the replicas reconnect by themselves (readiness
 * 503 while the database is away, 200 after).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../scripts/throwaway-postgres.mjs';
import type { TestServer } from '../support/server.js';
import { startTestServer } from '../support/server.js';
import { adminQuery } from '../support/pg.js';
import { call } from './http.js';
import { parseSse } from './threads-support.js';
import { databaseConnection } from './pg-server.js';

let database: EmbeddedPostgres;
const servers: TestServer[] = [];
const logs: string[] = [];
beforeAll(async () => {
  database = await startEmbeddedPostgres();
  const options = { database: { connection: databaseConnection(database.url), schema: 'restart' }, runStepMs: 20, log: (line: string) => logs.push(line) };
  servers.push(await startTestServer(options));
  servers.push(await startTestServer(options));
}, 60_000);
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await database?.stop();
});

const ready = async (server: TestServer): Promise<number> => (await fetch(`${server.origin}/readyz`)).status;

test('a database restart under load: 503s in the API shape, nothing hangs, acknowledged writes survive, replicas reconnect', { timeout: 60_000 }, async () => {
  const [a, b] = servers as [TestServer, TestServer];
  expect(await ready(a)).toBe(200);
  const assistant = await call(a, 'POST', '/assistants', { model: 'gpt-4', name: 'Steady' });
  const acknowledged: string[] = [];
  const runs: Array<{ thread: string; run: string }> = [];
  const failures: Array<{ status: number; body: unknown }> = [];
  let load = true;
  const worker = async (index: number): Promise<void> => {
    for (let i = 0; load; i++) {
      const server = (index + i) % 2 === 0 ? a : b;
      // No request may hang: each has 15 s, far more than a restart takes.
      const signal = AbortSignal.timeout(15_000);
      const creating = i % 4 === 3;
      const reply = await fetch(`${server.url}${creating ? '/threads/runs' : '/assistants'}`, {
        method: 'POST',
        headers: server.headers,
        signal,
        body: JSON.stringify(creating ? { assistant_id: assistant.body.id, thread: { messages: [{ role: 'user', content: `q${i}` }] } } : { model: 'gpt-4', name: `w${index}-${i}` }),
      });
      const body = (await reply.json()) as { id?: string; thread_id?: string };
      if (reply.status === 200 && creating) runs.push({ thread: body.thread_id ?? '', run: body.id ?? '' });
      else if (reply.status === 200) acknowledged.push(body.id ?? '');
      else failures.push({ status: reply.status, body });
    }
  };
  const workers = Array.from({ length: 6 }, (_, index) => worker(index));
  await new Promise((resolve) => setTimeout(resolve, 250));
  // A stream under way across the restart (its run created, its events flowing): it carries on once the database is back.
  const response = await fetch(`${b.url}/threads/runs`, {
    method: 'POST',
    headers: b.headers,
    body: JSON.stringify({ assistant_id: assistant.body.id, stream: true, thread: { messages: [{ role: 'user', content: 'a long answer, please' }] } }),
  });
  const streamed = response.text().then((text) => ({ status: response.status, events: parseSse(text) }));
  const during = database.restart();
  // While it is away (or coming back), readiness says so.
  const readiness: number[] = [];
  while (readiness.length < 50 && !readiness.includes(503)) {
    readiness.push(await ready(b));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await during;
  await new Promise((resolve) => setTimeout(resolve, 500));
  load = false;
  await Promise.all(workers);

  expect(readiness).toContain(503);
  expect(failures.length).toBeGreaterThan(0);
  for (const failure of failures) {
    expect(failure).toEqual({
      status: 503,
      body: { error: { message: expect.stringMatching(/cannot reach its database/), type: 'server_error', param: null, code: 'database_unavailable' } },
    });
  }
  // Back by themselves: both ready, every acknowledged write there, from either replica.
  for (const server of servers) {
    const deadline = Date.now() + 10_000;
    while ((await ready(server)) !== 200) {
      if (Date.now() > deadline) throw new Error('a replica did not become ready again');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  expect(acknowledged.length).toBeGreaterThan(10);
  const listed = new Set<string>();
  for (let after: string | undefined; ; ) {
    const page = await call(b, 'GET', `/assistants?limit=100&order=asc${after ? `&after=${after}` : ''}`);
    const ids = (page.body.data as Array<{ id: string }>).map((item) => item.id);
    for (const id of ids) listed.add(id);
    if (!page.body.has_more) break;
    after = ids.at(-1);
  }
  for (const id of acknowledged) expect(listed.has(id), id).toBe(true);
  // Runs under way when it went finish once it is back.
  expect(runs.length).toBeGreaterThan(0);
  for (const { thread, run } of runs) {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const current = await call(a, 'GET', `/threads/${thread}/runs/${run}`);
      if (current.body.status === 'completed') break;
      if (Date.now() > deadline) throw new Error(`run ${run} is ${String(current.body.status)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  // The stream: every event of its run, in sequence, no gap, then done.
  const stream = await streamed;
  expect(stream.status).toBe(200);
  expect(stream.events.at(-1)).toEqual({ event: 'done', data: '[DONE]' });
  const streamRun = (JSON.parse(stream.events.find((e) => e.event === 'thread.run.created')?.data ?? '{}') as { id: string }).id;
  const rows = await adminQuery<{ event: string }>(`SELECT event FROM restart.run_events WHERE run_id = $1 ORDER BY seq`, [streamRun], database.url);
  expect(stream.events.slice(0, -1).map((e) => e.event)).toEqual(rows.map((row) => (JSON.parse(row.event) as { event: string }).event));
  // The outage is logged when it begins and when it ends, not once per request; never with the password.
  expect(logs.filter((line) => / is unavailable \(/.test(line)).length).toBeLessThanOrEqual(4);
  expect(logs.some((line) => /answers again after [\d.]+ s/.test(line))).toBe(true);
  expect(JSON.stringify([failures, logs])).not.toContain(database.password);
});
