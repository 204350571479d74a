/**
 * The server on PostgreSQL (issue 20), for `npm run bench`:
 *
 * - throughput of assistant creates and lists: the embedded store (`serve --data`, every
 *   write fsynced), one PostgreSQL replica, and three replicas sharing one schema, each a
 *   `serve` process of its own; CLIENTS clients send each request to the next server in turn;
 * - plan/apply of N assistants (two files each) against two replicas behind a balancer that
 *   sends each request to a random one: apply, then a plan that must find nothing to do,
 *   and no assistant twice in the database.
 *
 * PostgreSQL as the tests find it (scripts/throwaway-postgres.mjs); a schema per setup,
 * dropped after.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { postgresForTests } from '../scripts/throwaway-postgres.mjs';
import { CLI, runCli } from './cli.js';
import { makeProject } from './workload.js';

const KEY = 'sk-bench-replicas';
const HEADERS = { authorization: `Bearer ${KEY}`, 'openai-beta': 'assistants=v1', 'content-type': 'application/json' };

/** `assistants serve --port 0 ARGS` as a child process; resolves once it listens. */
async function serve(args, env = {}) {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--api-key', KEY, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
  const url = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const found = /^listening on (\S+)$/.exec(line);
      if (found) resolve(found[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code} before listening: ${stderr}`)));
  });
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** CLIENTS loops sending `count` requests in all, each to the next server in turn. */
async function drive(urls, count, clients, send) {
  const latencies = [];
  let next = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < count; i = next++) {
        const at = performance.now();
        const ok = await send(urls[i % urls.length], i);
        latencies.push(performance.now() - at);
        if (!ok) failed++;
      }
    }),
  );
  const wallMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return { requests: count, failed, perSecond: Math.round((count / wallMs) * 1000), p50Ms: Math.round(percentile(latencies, 50) * 10) / 10, p99Ms: Math.round(percentile(latencies, 99) * 10) / 10 };
}

async function measure(urls, creates, lists, clients) {
  const create = await drive(urls, creates, clients, async (url, i) => {
    const response = await fetch(`${url}/assistants`, { method: 'POST', headers: HEADERS, body: JSON.stringify({ model: 'gpt-4', name: `bench-${i}`, instructions: 'Be brief.' }) });
    await response.arrayBuffer();
    return response.status === 200;
  });
  // Pages of 100 from random places in the list (cursors any server made).
  const first = await (await fetch(`${urls[0]}/assistants?limit=100&order=asc`, { headers: HEADERS })).json();
  const cursors = first.data.map((a) => a.id);
  const list = await drive(urls, lists, clients, async (url, i) => {
    const after = cursors[i % cursors.length];
    const response = await fetch(`${url}/assistants?limit=100&after=${after}`, { headers: HEADERS });
    await response.arrayBuffer();
    return response.status === 200;
  });
  return { create, list };
}

async function dropSchema(url, schema) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Creates and lists per second: embedded (durable), one replica, three replicas. */
export async function storeThroughput({ creates, lists, clients, log }) {
  const database = await postgresForTests();
  const results = [];
  try {
    const scratch = await mkdtemp(join(tmpdir(), 'assistants-bench-embedded-'));
    try {
      const embedded = await serve(['--data', join(scratch, 'data.jsonl')]);
      try {
        results.push({ setup: 'embedded (--data, fsync per write)', servers: 1, ...(await measure([embedded.url], creates, lists, clients)) });
      } finally {
        await embedded.stop();
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    for (const count of [1, 3]) {
      const schema = `bench_replicas_${process.pid}_${count}`;
      const servers = [];
      try {
        const args = ['--database', '--database-schema', schema];
        servers.push(await serve(args, { PG_CONN_STR: database.url }));
        servers.push(...(await Promise.all(Array.from({ length: count - 1 }, () => serve(args, { PG_CONN_STR: database.url })))));
        results.push({ setup: `PostgreSQL, ${count} replica${count === 1 ? '' : 's'}`, servers: count, ...(await measure(servers.map((s) => s.url), creates, lists, clients)) });
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
        await dropSchema(database.url, schema);
      }
    }
    for (const r of results) log(`${r.setup}: ${r.create.perSecond} creates/s (p99 ${r.create.p99Ms} ms), ${r.list.perSecond} lists of 100/s (p99 ${r.list.p99Ms} ms)`);
    return { database: database.kind, creates, lists, clients, results };
  } finally {
    await database.stop();
  }
}

/** A balancer that sends each request to a random backend (as the tests' load-balancer.ts). */
async function balancer(urls) {
  const server = createServer((incoming, outgoing) => {
    const backend = new URL(urls[Math.floor(Math.random() * urls.length)]);
    const forwarded = request({ host: backend.hostname, port: backend.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: backend.host } }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/v1`, close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }) };
}

/** plan/apply of n assistants against two replicas: converges, no duplicate. */
export async function applyOnReplicas({ n, parallelismArgs, parallelism, log }) {
  const database = await postgresForTests();
  const schema = `bench_apply_${process.pid}`;
  const servers = [];
  const dir = await makeProject(n);
  try {
    const args = ['--database', '--database-schema', schema];
    servers.push(await serve(args, { PG_CONN_STR: database.url }));
    servers.push(await serve(args, { PG_CONN_STR: database.url }));
    const front = await balancer(servers.map((s) => s.url));
    try {
      const manifest = ['-f', join(dir, 'assistants.yaml'), '--endpoint', front.url];
      const env = { OPENAI_API_KEY: KEY };
      const apply = await runCli(['apply', ...manifest, '--auto-approve', ...parallelismArgs], { cwd: dir, env, measureMemory: false });
      const plan = await runCli(['plan', ...manifest, '--detailed-exitcode'], { cwd: dir, env, measureMemory: false });
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      let counts;
      try {
        counts = (
          await client.query(
            `SELECT (SELECT count(*) FROM "${schema}".assistants)::int AS assistants,
                    (SELECT count(DISTINCT body::json->>'name') FROM "${schema}".assistants)::int AS names,
                    (SELECT count(*) FROM "${schema}".files)::int AS files`,
          )
        ).rows[0];
      } finally {
        await client.end();
      }
      const out = {
        n,
        parallelism,
        applyMs: Math.round(apply.wallMs),
        applyExit: apply.code,
        planExit: plan.code,
        planMs: Math.round(plan.wallMs),
        ...counts,
        converged: apply.code === 0 && plan.code === 0 && counts.assistants === n && counts.names === n && counts.files === 2 * n,
      };
      log(`apply of ${n} assistants on two replicas: ${(out.applyMs / 1000).toFixed(1)} s, exit ${apply.code}; plan after: exit ${plan.code} in ${(out.planMs / 1000).toFixed(1)} s; ${counts.assistants} assistants (${counts.names} names), ${counts.files} files in the database`);
      return out;
    } finally {
      await front.close();
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
    await dropSchema(database.url, schema);
    await database.stop();
  }
}
