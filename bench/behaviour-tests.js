/**
 * `assistants test` at scale: N one-turn tests at --parallelism P against a server with
 * L ms of latency per request, against the longest dependent chain of requests they need.
 *
 * The chain: one test is a createThreadAndRun (streamed: the reply arrives on it as the
 * stand-in model writes it, T_run) and a deleteThread, one after the other; P tests run at
 * once, so ceil(N/P) tests follow each other; before the first, one read of the assistant.
 *   floor = L + ceil(N/P) x (2L + T_run)
 * T_run is measured here: the same streamed run against the same server code, with no
 * latency, the fastest of three.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssistantsApi, createConfiguration } from '../dist/api/index.js';
import { startServer } from '../dist/server/index.js';
import { runCli } from './cli.js';

const MANIFEST = `version: 1
project: bench-tests
assistants:
  support:
    name: Support
    model: gpt-4
    instructions: Answer questions about orders.
`;

function testsFile(count) {
  const tests = Array.from({ length: count }, (_, i) => `  t${i}:\n    assistant: support\n    turns:\n      - user: Question ${i}\n        assert:\n          - contains: "Question ${i}"\n`);
  return `version: 1\ntests:\n${tests.join('')}`;
}

/** The server's own time for one streamed run of the stand-in model, without latency. */
async function runTimeMs() {
  const server = await startServer({ port: 0 });
  try {
    const api = new AssistantsApi(createConfiguration({ apiKey: 'sk-bench', baseUrl: server.url }));
    const assistant = await api.createAssistant({ createAssistantRequest: { model: 'gpt-4', name: 'Support', instructions: 'Answer questions about orders.' } });
    const times = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const stream = await api.createThreadAndRun({ createThreadAndRunRequest: { assistantId: assistant.id, stream: true, thread: { messages: [{ role: 'user', content: `Question ${i}` }] } } });
      const run = await stream.finalRun();
      times.push(performance.now() - started);
      await api.deleteThread({ threadId: run.threadId });
    }
    return Math.min(...times);
  } finally {
    await server.close();
  }
}

export async function behaviourTestsRun({ tests, parallelism, latencyMs, log }) {
  const runMs = await runTimeMs();
  const server = await startServer({ port: 0, latencyMs });
  const dir = await mkdtemp(join(tmpdir(), 'assistants-bench-tests-'));
  try {
    await writeFile(join(dir, 'assistants.yaml'), MANIFEST);
    await writeFile(join(dir, 'assistants.test.yaml'), testsFile(tests));
    const endpoint = ['--endpoint', server.url];
    const applied = await runCli(['apply', '--auto-approve', ...endpoint], { cwd: dir, server, measureMemory: false });
    if (applied.code !== 0) throw new Error(`apply failed: ${applied.stderr}`);
    const before = server.stats();
    const result = await runCli(['test', '--parallelism', String(parallelism), ...endpoint], { cwd: dir, server });
    const after = server.stats();
    const waves = Math.ceil(tests / parallelism);
    const floorMs = latencyMs + waves * (2 * latencyMs + runMs);
    const out = {
      tests,
      parallelism,
      latencyMs,
      exitCode: result.code,
      passed: /(\d+) passed, (\d+) failed/.exec(result.stdout)?.slice(1).map(Number) ?? null,
      wallMs: Math.round(result.wallMs),
      runMs: Math.round(runMs),
      floorMs: Math.round(floorMs),
      overFloor: Math.round((result.wallMs / floorMs) * 100) / 100,
      toFirstRequestMs: result.firstRequestMs === null ? null : Math.round(result.firstRequestMs),
      requests: after.requests - before.requests,
      minRequests: 1 + 2 * tests,
      threadsLeft: after.objects.threads,
      peakRssMb: result.peakRssMb === null ? null : Math.round(result.peakRssMb),
    };
    if (result.code !== 0) log(`behaviour tests: exit ${result.code}\n${result.stderr.slice(-600)}`);
    log(`behaviour tests: ${tests} at --parallelism ${parallelism}, ${latencyMs} ms latency: ${(result.wallMs / 1000).toFixed(2)} s, floor ${(floorMs / 1000).toFixed(2)} s (${out.overFloor}x)`);
    return out;
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export const TESTS_FLOOR_FORMULA =
  'floor = L + ceil(N/P) x (2L + T_run): a test is a streamed createThreadAndRun (its reply arrives as the stand-in model writes it, T_run, measured without latency) then a deleteThread; P run at once; one read of the assistant first.';
