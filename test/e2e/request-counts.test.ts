/**
 * The bench as a regression guard: its quick tier, small and without latency, run as the
 * bench runs it (the built CLI as a child process against the in-process server), must
 * send exactly the requests each phase needs (bench/workload.js `minimum`): a change that
 * makes the CLI send more than the change needs fails here. Times are not checked; the
 * bench measures them.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { makeTempDir } from '../support/temp-dir.js';

const BENCH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'run.js');

interface PhaseRow {
  n: number;
  phase: string;
  ok: boolean;
  exitCode: number;
  requests: number;
  minRequests: number;
  byRoute: Record<string, number>;
}

it('the quick tier at N=101 (two list pages) sends exactly the requests each phase needs', async () => {
  const { dir } = await makeTempDir();
  const resultsFile = join(dir, 'results.json');
  const args = [BENCH, '--quick', '--sizes', '101', '--latency', '0', '--startup-runs', '1', '--results', resultsFile];
  const run = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
  expect(run.code, run.output).toBe(0);
  const results = JSON.parse(await readFile(resultsFile, 'utf8')) as { phases: PhaseRow[] };
  const rows = results.phases.map((r) => ({ phase: r.phase, ok: r.ok, requests: r.requests, byRoute: r.byRoute }));
  const needed = results.phases.map((r) => ({ phase: r.phase, ok: true, requests: r.minRequests, byRoute: r.byRoute }));
  expect(rows.map((r) => r.phase)).toEqual(['cold apply', 'no-change plan', '10% edit apply', 'destroy']);
  expect(rows).toEqual(needed);
  expect(results.phases.map((r) => r.minRequests)).toEqual([2 + 303, 3, 3 + 10, 3 + 303]);
}, 120_000);
