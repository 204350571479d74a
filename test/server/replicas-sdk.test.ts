/**
 * The SDK scenario (sdk-scenario.ts) against three servers on one PostgreSQL schema behind
 * a load balancer that sends each request to a random one: uploads read back elsewhere,
 * pages whose cursors another replica made, runs created on one replica, polled, given tool
 * outputs and streamed on others.
 */
import { expect, test } from 'vitest';
import { startLoadBalancer, type LoadBalancer } from './load-balancer.js';
import { startReplicas } from './pg-server.js';
import { sdkScenario } from './sdk-scenario.js';

let balancer: LoadBalancer | undefined;
let picks: number[] = [];

sdkScenario('three PostgreSQL replicas, each request to a random one', async () => {
  const cluster = await startReplicas(3, { runStepMs: 2 });
  balancer = await startLoadBalancer(cluster.servers.map((server) => server.origin));
  return {
    url: `${balancer.origin}/v1`,
    apiKey: cluster.servers[0]?.apiKey ?? '',
    close: async () => {
      picks = [...(balancer?.picks ?? [])];
      await balancer?.close();
      await cluster.close();
    },
  };
});

// Runs after the scenario's block (and its close): every replica answered a share of its ~200 requests.
test('every replica answered a share of the scenario', () => {
  expect(picks).toHaveLength(3);
  for (const count of picks) expect(count).toBeGreaterThan(20);
});
