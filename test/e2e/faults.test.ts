/**
 * Apply under faults: injected 5xx, dropped connections after processing, stalls and a
 * rate limit; our own process killed with SIGKILL mid-apply; two applies at once.
 * Nothing may be lost or duplicated.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AssistantsApi, createConfiguration, FilesApi } from '../../src/api/index.js';
import { parseState } from '../../src/state/format.js';
import { startHoldingProxy } from '../support/holding-proxy.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeProject, runCli, runCliInProcess, startCli, waitForOutput, writeFiles } from './cli.js';

function bigManifest(assistants: number, files: number, version: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = ['version: 1', 'project: fleet'];
  if (files > 0) lines.push('files:');
  for (let f = 0; f < files; f++) {
    lines.push(`  doc${f}:`, `    path: docs/doc${f}.txt`);
    out[`docs/doc${f}.txt`] = `document ${f} ${version}\n`.repeat(f + 1);
  }
  lines.push('assistants:');
  for (let a = 0; a < assistants; a++) {
    lines.push(`  a${a}:`, `    name: Assistant ${a}`, '    model: gpt-4', `    instructions: "${version} for ${a}"`);
    if (files > 0) lines.push(`    files: [doc${a % files}]`);
  }
  out['assistants.yaml'] = `${lines.join('\n')}\n`;
  return out;
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function ownedByKey(s: TestServer): Promise<Map<string, string[]>> {
  const api = new AssistantsApi(createConfiguration({ apiKey: s.apiKey, baseUrl: s.url, maxRetries: 8 }));
  const byKey = new Map<string, string[]>();
  for await (const a of api.iterateAssistants({})) {
    const tag = a.metadata?.['assistants-iac'];
    if (!tag) continue;
    byKey.set(tag, [...(byKey.get(tag) ?? []), a.id]);
  }
  return byKey;
}

describe('apply under injected faults', () => {
  it('converges in at most two runs with no duplicate assistant or file (60 assistants, 10 files, fault rate 0.2, rate limit)', async () => {
    server = await startTestServer({ faultRate: 0.2, faultSeed: 42, rateLimit: 40, stallMs: 800 });
    const dir = await makeProject(bigManifest(60, 10, 'v1'));
    const env = { OPENAI_API_KEY: server.apiKey };
    const args = ['apply', '--auto-approve', '--endpoint', server.url, '--request-timeout', '400ms'];
    let runs = 0;
    for (; runs < 2; runs++) {
      const result = await runCli(args, { cwd: dir, env });
      if (result.code === 0) break;
      expect(result.code, result.stderr).toBe(1);
    }
    expect(runs).toBeLessThan(2);
    const byKey = await ownedByKey(server);
    expect(byKey.size).toBe(60);
    expect([...byKey.values()].filter((ids) => ids.length > 1)).toEqual([]);
    const files = new FilesApi(createConfiguration({ apiKey: server.apiKey, baseUrl: server.url, maxRetries: 8 }));
    const uploaded = (await files.listFiles({ purpose: 'assistants' })).data;
    expect(uploaded).toHaveLength(10);
    const state = parseState(await readFile(join(dir, '.assistants/state/default.json'), 'utf8'), 'state');
    expect(Object.keys(state.assistants)).toHaveLength(60);
    expect(new Set(Object.values(state.files).map((f) => f.id))).toEqual(new Set(uploaded.map((f) => f.id)));
    expect(server.stats().faults.drops + server.stats().faults.stalls).toBeGreaterThan(0);
  }, 120_000);
});

describe('apply killed with SIGKILL', () => {
  it('converges after a kill at each of 10 moments: exactly the manifest on the server, no leaked upload, a valid state', async () => {
    server = await startTestServer({ latencyMs: 15 });
    const dir = await makeProject(bigManifest(50, 10, 'v0'));
    const env = { OPENAI_API_KEY: server.apiKey };
    const args = ['apply', '--auto-approve', '--endpoint', server.url];
    const files = new FilesApi(createConfiguration({ apiKey: server.apiKey, baseUrl: server.url }));
    let midway = 0;
    for (let cycle = 0; cycle < 10; cycle++) {
      // Every cycle edits all 50 assistants and replaces all 10 files.
      await writeFiles(dir, bigManifest(50, 10, `v${cycle}`));
      // Kill at a different point each cycle: after 3, 7, 11 ... 39 of its ~72 requests.
      const requestsBefore = server.stats().requests;
      const killAfter = 3 + cycle * 4;
      const { child, result } = startCli(args, { cwd: dir, env });
      const deadline = Date.now() + 20_000;
      while (server.stats().requests - requestsBefore < killAfter && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      child.kill('SIGKILL');
      const killed = await result;
      if (killed.signal === 'SIGKILL') midway++;

      // The recovery and the check run in-process: what they prove is the journal's, not a process's.
      const finished = await runCliInProcess(args, { cwd: dir, env });
      expect(finished.code, finished.stderr).toBe(0);
      const byKey = await ownedByKey(server);
      expect(byKey.size).toBe(50);
      expect([...byKey.values()].filter((ids) => ids.length > 1)).toEqual([]);
      const state = parseState(await readFile(join(dir, '.assistants/state/default.json'), 'utf8'), 'state');
      expect(Object.keys(state.assistants)).toHaveLength(50);
      const uploaded = (await files.listFiles({ purpose: 'assistants' })).data.map((f) => f.id).sort();
      expect(uploaded).toEqual(Object.values(state.files).map((f) => f.id).sort());
      expect(uploaded).toHaveLength(10);
      expect(state.pendingUploads).toBeUndefined();
      const plan = await runCliInProcess(['plan', '--detailed-exitcode', '--endpoint', server.url], { cwd: dir, env });
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    }
    // The kills really landed mid-apply, not after it ended.
    expect(midway).toBe(10);
  }, 150_000);
});

describe('two applies at once', () => {
  it('the second exits 3 naming the holder while the first is mid-apply; with --lock-timeout it waits instead', async () => {
    server = await startTestServer();
    const proxy = await startHoldingProxy(new URL(server.url));
    try {
      const dir = await makeProject(bigManifest(30, 0, 'v1'));
      const env = { OPENAI_API_KEY: server.apiKey };
      const args = ['apply', '--auto-approve', '--endpoint', proxy.url];

      // The first apply holds the lock while its first create is held at the proxy.
      let held = proxy.holdNext((req) => req.method === 'POST' && req.url === '/v1/assistants', 'request');
      const first = startCli(args, { cwd: dir, env });
      let hold = await held;
      const second = await runCli(args, { cwd: dir, env });
      expect(second.code, second.stderr).toBe(3);
      expect(second.stderr).toMatch(new RegExp(`locked by apply \\(pid ${first.child.pid}\\b`));
      hold.release();
      const firstDone = await first.result;
      expect(firstDone.code, firstDone.stderr).toBe(0);
      expect((await ownedByKey(server)).size).toBe(30);

      // With --lock-timeout the second says whom it waits for, waits, then runs.
      await writeFiles(dir, bigManifest(30, 0, 'v2'));
      const waiting = [...args, '--lock-timeout', '60s'];
      held = proxy.holdNext((req) => req.method === 'POST' && (req.url ?? '').startsWith('/v1/assistants/'), 'request');
      const third = startCli(waiting, { cwd: dir, env });
      hold = await held;
      const fourth = startCli(waiting, { cwd: dir, env });
      await waitForOutput(fourth.child.stderr!, new RegExp(`State is locked by apply \\(pid ${third.child.pid}\\b[^\\n]*; waiting up to 60s`));
      hold.release();
      const [c, d] = await Promise.all([third.result, fourth.result]);
      expect([c.code, d.code], c.stderr + d.stderr).toEqual([0, 0]);
      const state = parseState(await readFile(join(dir, '.assistants/state/default.json'), 'utf8'), 'state');
      expect(Object.keys(state.assistants)).toHaveLength(30);
      const api = new AssistantsApi(createConfiguration({ apiKey: server.apiKey, baseUrl: server.url }));
      for await (const a of api.iterateAssistants({})) expect(a.instructions).toMatch(/^v2 /);
    } finally {
      await proxy.close();
    }
  }, 60_000);
});
