/**
 * Runs the built CLI as a child process, the way a user (or CI) does, and measures it:
 * wall time from spawn to exit, peak RSS and CPU time (via rss-hook.js), and, from the in-process
 * server's counters, the requests it sent and when the first and last arrived.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const CLI = join(here, '..', 'dist', 'cli', 'main.js');
const HOOK = pathToFileURL(join(here, 'rss-hook.js')).href;

/** Per-run ceiling, so a hung CLI cannot hang the benchmark. */
const CHILD_TIMEOUT_MS = 240_000;

/**
 * @param {string[]} args CLI arguments
 * @param {{ cwd: string, server?: { stats(): { requests: number } }, measureMemory?: boolean, env?: Record<string, string> }} options
 */
export async function runCli(args, { cwd, server, measureMemory = true, env: extraEnv = {} }) {
  const scratch = await mkdtemp(join(tmpdir(), 'assistants-bench-rss-'));
  const rssFile = join(scratch, 'rss');
  const nodeArgs = measureMemory ? ['--import', HOOK, CLI, ...args] : [CLI, ...args];
  const env = { ...process.env, CI: 'true', NO_COLOR: '1', OPENAI_API_KEY: 'sk-bench', BENCH_RSS_FILE: rssFile, ...extraEnv };
  delete env.OPENAI_BASE_URL;

  const before = server?.stats().requests ?? 0;
  let firstAt = null;
  let lastAt = null;
  let seen = before;
  const started = performance.now();
  const sample = () => {
    if (!server) return;
    const now = server.stats().requests;
    if (now !== seen) {
      const t = performance.now() - started;
      if (firstAt === null) firstAt = t;
      lastAt = t;
      seen = now;
    }
  };
  const sampler = server ? setInterval(sample, 5) : null;

  const child = spawn(process.execPath, nodeArgs, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => { stdout += chunk; });
  child.stderr.setEncoding('utf8').on('data', (chunk) => { stderr += chunk; });
  const timer = setTimeout(() => {
    stderr += `\n[bench] killed after ${CHILD_TIMEOUT_MS} ms\n`;
    child.kill('SIGKILL');
  }, CHILD_TIMEOUT_MS);
  const code = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : 1)));
  });
  const wallMs = performance.now() - started;
  clearTimeout(timer);
  if (sampler) clearInterval(sampler);
  sample();

  let peakRssMb = null;
  let cpuMs = null;
  if (measureMemory) {
    const [kib, micros] = (await readFile(rssFile, 'utf8').catch(() => 'NaN NaN')).split(' ').map(Number);
    if (Number.isFinite(kib)) peakRssMb = kib / 1024;
    if (Number.isFinite(micros)) cpuMs = micros / 1000;
  }
  await rm(scratch, { recursive: true, force: true });
  return {
    code,
    stdout,
    stderr,
    wallMs,
    peakRssMb,
    /** CPU time the child used (user + system), which the shared machine's load does not inflate. */
    cpuMs,
    requests: (server?.stats().requests ?? 0) - before,
    /** ms from spawn to the first request the server saw (start-up, load, hash, lock). */
    firstRequestMs: firstAt,
    /** ms from the last request's arrival to exit (its response, state write, exit). */
    afterLastRequestMs: lastAt === null ? null : wallMs - lastAt,
  };
}
