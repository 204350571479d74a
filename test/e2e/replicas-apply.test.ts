/**
 * plan and apply against two `serve` replicas on one PostgreSQL schema, each request sent
 * to a random one (the bench does the same with 1,000 assistants): the apply converges,
 * the next plan finds nothing to do, and no assistant or file exists twice.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { adminQuery } from '../support/pg.js';
import { startLoadBalancer, type LoadBalancer } from '../server/load-balancer.js';
import { startReplicas, type Replicas } from '../server/pg-server.js';
import { makeProject, runCli } from './cli.js';

const N = 40;

let cluster: Replicas;
let balancer: LoadBalancer;
beforeAll(async () => {
  cluster = await startReplicas(2);
  balancer = await startLoadBalancer(cluster.servers.map((server) => server.origin));
});
afterAll(async () => {
  await balancer?.close();
  await cluster?.close();
});

test(`apply of ${N} assistants with files on two replicas converges with no duplicate`, async () => {
  const files: Record<string, string> = {};
  const lines = ['version: 1', 'project: replicas', 'files:'];
  for (let i = 0; i < N; i++) {
    files[`docs/d${i}.txt`] = `document ${i}\n`.repeat(20);
    lines.push(`  d${i}:`, `    path: docs/d${i}.txt`);
  }
  lines.push('assistants:');
  for (let i = 0; i < N; i++) lines.push(`  a${i}:`, '    model: gpt-4', `    name: Assistant ${i}`, '    tools: [{ type: retrieval }]', `    files: [d${i}]`);
  const dir = await makeProject({ ...files, 'assistants.yaml': `${lines.join('\n')}\n` });
  const endpoint = `${balancer.origin}/v1`;
  const env = { OPENAI_API_KEY: cluster.servers[0]?.apiKey ?? '' };
  const apply = await runCli(['apply', '--auto-approve', '--parallelism', '8', '--endpoint', endpoint], { cwd: dir, env });
  expect(apply.code, apply.stderr).toBe(0);
  const plan = await runCli(['plan', '--detailed-exitcode', '--endpoint', endpoint], { cwd: dir, env });
  expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  const [counts] = await adminQuery<{ assistants: number; names: number; files: number; links: number }>(
    `SELECT (SELECT count(*) FROM "${cluster.schema}".assistants)::int AS assistants,
            (SELECT count(DISTINCT body::json->>'name') FROM "${cluster.schema}".assistants)::int AS names,
            (SELECT count(*) FROM "${cluster.schema}".files)::int AS files,
            (SELECT count(*) FROM "${cluster.schema}".assistant_files)::int AS links`,
  );
  expect(counts).toEqual({ assistants: N, names: N, files: N, links: N });
  // Both replicas took part.
  expect(Math.min(...balancer.picks)).toBeGreaterThan(10);
});
