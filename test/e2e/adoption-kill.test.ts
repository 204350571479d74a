/**
 * `state rm` and `import` change remote objects (they take off or put on the ownership
 * tag) and go through the journal as apply does: killed with SIGKILL between two of
 * their requests, the next run knows what was done. The moment is picked by a proxy in
 * front of the local server that holds the chosen request instead of passing it on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssistantsApi, createConfiguration } from '../../src/api/index.js';
import { OWNERSHIP_METADATA_KEY } from '../../src/plan/ownership.js';
import { startHoldingProxy, type HoldingProxy } from '../support/holding-proxy.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeProject, runCli, startCli, withEndpoint } from './cli.js';

const manifest = `version: 1
project: shop
assistants:
  alpha:
    model: gpt-4
  beta:
    model: gpt-4
`;

let server: TestServer;
let proxy: HoldingProxy;
let api: AssistantsApi;

beforeAll(async () => {
  server = await startTestServer();
  proxy = await startHoldingProxy(new URL(server.url));
  api = new AssistantsApi(createConfiguration({ apiKey: server.apiKey, baseUrl: server.url }));
});
afterAll(async () => {
  await proxy.close();
  await server.close();
});

async function tagOf(id: string): Promise<string | undefined> {
  return (await api.getAssistant({ assistantId: id })).metadata?.[OWNERSHIP_METADATA_KEY];
}

describe('killed with SIGKILL between two remote changes', () => {
  it('state rm: the assistant already released stays forgotten; the other stays managed and can be removed again', async () => {
    const dir = await makeProject({ 'assistants.yaml': manifest });
    const env = { OPENAI_API_KEY: server.apiKey };
    const cli = (...args: string[]) => runCli(withEndpoint(args, proxy.url), { cwd: dir, env });
    expect((await cli('apply', '--auto-approve')).code).toBe(0);
    const ids = Object.fromEntries((await cli('state', 'list')).stdout.trim().split('\n').map((line) => line.split('\t') as [string, string]));
    const [alpha, beta] = [ids.alpha!, ids.beta!];

    // alpha's tag comes off; the request taking beta's off is held, and the process killed.
    const held = proxy.holdNext((req) => req.method === 'POST' && req.url === `/v1/assistants/${beta}`, 'request');
    const { child, result } = startCli(['state', 'rm', 'alpha', 'beta', '--endpoint', proxy.url], { cwd: dir, env });
    await held;
    child.kill('SIGKILL');
    expect((await result).signal).toBe('SIGKILL');

    expect(await tagOf(alpha)).toBeUndefined();
    expect(await tagOf(beta)).toBe('shop/default/beta');
    // The next run sees alpha forgotten (a plan would otherwise tag it as ours again) and beta still managed.
    const list = await cli('state', 'list');
    expect(list.stdout).toBe(`beta\t${beta}\n`);
    const again = await cli('state', 'rm', 'beta');
    expect(again.stderr).toMatch(
      /^Took over the state lock left by state rm \(pid \d+ [^\n]*\): that process is gone\.\nRecovered 1 operation\(s\) recorded by a command \(apply, import, state rm\) that did not finish; the state now includes them\.\n$/,
    );
    expect(again.stdout).toBe(`Removed beta (${beta}) from the state and released its ownership tag; it still exists on the server.\n`);
    expect(await tagOf(beta)).toBeUndefined();
    expect((await cli('state', 'list')).stdout).toBe('');
  }, 60_000);

  it('import: an assistant tagged before the process died is adopted by the next plan and recorded by the next apply', async () => {
    const dir = await makeProject({ 'assistants.yaml': 'version: 1\nproject: desk\nassistants:\n  helper:\n    model: gpt-4\n' });
    const env = { OPENAI_API_KEY: server.apiKey };
    const cli = (...args: string[]) => runCli(withEndpoint(args, proxy.url), { cwd: dir, env });
    const { id } = await api.createAssistant({ createAssistantRequest: { model: 'gpt-4' } });

    // The tag reaches the server; its answer is kept back and the process killed.
    const held = proxy.holdNext((req) => req.method === 'POST' && req.url === `/v1/assistants/${id}`, 'response');
    const { child, result } = startCli(['import', 'helper', id, '--endpoint', proxy.url], { cwd: dir, env });
    await held;
    child.kill('SIGKILL');
    expect((await result).signal).toBe('SIGKILL');

    expect(await tagOf(id)).toBe('desk/default/helper');
    const plan = await cli('plan');
    expect(plan.stdout).toContain(`# assistant "helper" (${id}) is tagged as ours and will be recorded in the state; it needs no change`);
    expect((await cli('apply', '--auto-approve')).code).toBe(0);
    expect((await cli('state', 'list')).stdout).toBe(`helper\t${id}\n`);
  }, 60_000);
});
