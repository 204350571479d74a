/**
 * Runs survive a lost replica: 200 runs over three servers (child processes) on one
 * PostgreSQL schema, one of them killed with SIGKILL at a random moment while runs are
 * under way. Every run ends `completed` exactly once, as the database counts it (the run,
 * its one message and its one `message_creation` step, its one `thread.run.completed`
 * event) and none stays active; the survivors claimed the dead replica's runs once its
 * leases ran out.
 */
import { expect, onTestFinished, test } from 'vitest';
import { adminQuery, dropSchema, freshSchema, pgUrl } from '../support/pg.js';
import type { TestServer } from '../support/server.js';
import { call } from './http.js';
import { startServeProcess, type ServeProcess } from './pg-server.js';

const RUNS = 200;
const LEASE_MS = 1_000;

test('200 runs over three replicas, one killed with SIGKILL: each completes exactly once', { timeout: 60_000 }, async () => {
  const schema = freshSchema();
  const children: ServeProcess[] = [];
  // After the test, even one that timed out (its body still pending): no replica is left running.
  onTestFinished(async () => {
    await Promise.all(children.map((child) => child.stop('SIGKILL')));
    await dropSchema(schema);
  });
  // `serve` as an operator runs it; the database's URL from the environment, as PG_CONN_STR.
  const start = (): Promise<ServeProcess> => startServeProcess(['--database', '--database-schema', schema, '--run-lease', `${LEASE_MS}ms`], { PG_CONN_STR: pgUrl() });
  // The first one creates the schema; the others find it.
  children.push(await start());
  children.push(...(await Promise.all([start(), start()])));
  const servers = children.map((child) => child.server);
  const assistant = await call(servers[0] as TestServer, 'POST', '/assistants', { model: 'gpt-4', name: 'Survivor' });
  expect(assistant.status).toBe(200);

  const victim = Math.floor(Math.random() * 3);
  let killed = false;
  // A client that, like a load balancer, sends a request the dead replica cannot take to the next one.
  const createRun = async (index: number): Promise<string> => {
    for (let attempt = 0; ; attempt++) {
      const server = servers[(index + attempt) % 3] as TestServer;
      try {
        const reply = await call(server, 'POST', '/threads/runs', {
          assistant_id: assistant.body.id,
          thread: { messages: [{ role: 'user', content: `question ${index}` }] },
        });
        if (reply.status === 200) return reply.body.id as string;
        // A replica that cannot reach the database for a moment (a loaded machine) says 503
        // and when to retry: wait that long, as a client would. Anything else is a failure.
        if (reply.status !== 503) throw new Error(`create run: ${reply.status} ${JSON.stringify(reply.body)}`);
        await new Promise((resolve) => setTimeout(resolve, Number(reply.headers.get('retry-after') ?? '1') * 1000));
        continue;
      } catch (error) {
        if (!killed || attempt > 3) throw error;
      }
    }
  };
  const created: string[] = [];
  const creating = (async () => {
    for (let from = 0; from < RUNS; from += 20) {
      created.push(...(await Promise.all(Array.from({ length: Math.min(20, RUNS - from) }, (_, i) => createRun(from + i)))));
    }
  })();
  // Awaited below; a failure meanwhile is not an unhandled rejection.
  creating.catch(() => undefined);
  // A random moment while the victim executes runs: once it holds some, up to 300 ms later.
  const held = async (): Promise<number> =>
    ((await (await fetch(`${servers[victim]?.origin ?? ''}/_admin/stats`, { headers: servers[victim]?.headers })).json()) as { runs: { held: number } }).runs.held;
  while ((await held()) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  await new Promise((resolve) => setTimeout(resolve, Math.random() * 300));
  killed = true;
  await children[victim]?.stop('SIGKILL');
  await creating;
  expect(new Set(created).size).toBe(RUNS);

  // Wait (bounded) until no run is active: the dead replica's runs come back after its leases run out.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [{ active }] = (await adminQuery<{ active: string }>(`SELECT count(*) AS active FROM "${schema}".runs WHERE active`)) as [{ active: string }];
    if (Number(active) === 0) break;
    if (Date.now() > deadline) throw new Error(`${active} runs still active`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  // Counted from the database: runs, their messages, their steps, their completion events.
  const statuses = await adminQuery<{ status: string; n: string }>(`SELECT body::json->>'status' AS status, count(*) AS n FROM "${schema}".runs GROUP BY 1`);
  const runs = Number(statuses.find((row) => row.status === 'completed')?.n ?? 0);
  expect(statuses.map((row) => row.status)).toEqual(['completed']);
  expect(runs).toBeGreaterThanOrEqual(RUNS);
  const perRun = async (sql: string): Promise<Map<string, number>> =>
    new Map((await adminQuery<{ run_id: string; n: string }>(sql)).map((row) => [row.run_id, Number(row.n)]));
  const replies = await perRun(`SELECT run_id, count(*) AS n FROM "${schema}".messages WHERE run_id IS NOT NULL GROUP BY run_id`);
  const steps = await perRun(
    `SELECT run_id, count(*) AS n FROM "${schema}".run_steps WHERE body::json->>'type' = 'message_creation' AND body::json->>'status' = 'completed' GROUP BY run_id`,
  );
  const allSteps = await perRun(`SELECT run_id, count(*) AS n FROM "${schema}".run_steps GROUP BY run_id`);
  const completions = await perRun(`SELECT run_id, count(*) AS n FROM "${schema}".run_events WHERE event::json->>'event' = 'thread.run.completed' GROUP BY run_id`);
  for (const id of created) {
    expect({ id, replies: replies.get(id), steps: steps.get(id), allSteps: allSteps.get(id), completions: completions.get(id) }).toEqual({
      id,
      replies: 1,
      steps: 1,
      allSteps: 1,
      completions: 1,
    });
  }
  expect(await adminQuery(`SELECT id FROM "${schema}".run_progress`)).toEqual([]);

  // The survivors took over the dead replica's runs.
  const claimed = await Promise.all(
    children
      .filter((_, index) => index !== victim)
      .map(async (child) => ((await (await fetch(`${child.server.origin}/_admin/stats`, { headers: child.server.headers })).json()) as { runs: { claimed: number } }).runs.claimed),
  );
  expect(claimed.reduce((sum, n) => sum + n, 0)).toBeGreaterThan(0);
});
