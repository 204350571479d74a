/**
 * A run cannot take the server down: the stand-in model's arguments are bounded, a run
 * that fails to execute ends `failed` with `last_error`, and a restart never executes
 * again a run that already failed (or that was executing when the server died).
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { blankProgress } from '../../src/server/threads/run-steps.js';
import { sampleFromSchema, SampleTooLargeError } from '../../src/server/threads/schema-sample.js';
import { startTestServer, withServer } from '../support/server.js';
import { call, createAssistant } from './http.js';
import { ok, settle, threadWith } from './threads-support.js';
import { makeTempDir } from '../support/temp-dir.js';

/** 20,000 lists of 20,000 strings of 20,000 letters: terabytes if built. */
const HUGE = {
  type: 'object',
  required: ['rows'],
  properties: {
    rows: { type: 'array', minItems: 20_000, items: { type: 'array', minItems: 20_000, items: { type: 'string', minLength: 20_000 } } },
  },
};

describe('the argument sampler', () => {
  test('refuses to build more than its budget, whatever minItems, minLength or nesting ask for', () => {
    for (const schema of [
      HUGE,
      { type: 'string', minLength: 1e9 },
      { type: 'array', minItems: 1e9 },
      { type: 'object', required: Array.from({ length: 50_000 }, (_, i) => `p${i}`), properties: {} },
    ]) {
      expect(() => sampleFromSchema(schema)).toThrow(SampleTooLargeError);
    }
  });

  test('still builds what schemas of real functions ask for', () => {
    expect(sampleFromSchema({ type: 'array', minItems: 3, items: { type: 'string', minLength: 2 } })).toEqual(['xx', 'xx', 'xx']);
    const properties = JSON.parse('{"__proto__": {"type": "integer", "minimum": 4}, "constructor": {"type": "boolean"}}') as unknown;
    const sample = sampleFromSchema({ type: 'object', required: ['__proto__', 'constructor'], properties });
    expect(JSON.stringify(sample)).toBe('{"__proto__":4,"constructor":false}');
  });
});

test('a run whose function asks for huge arguments fails with last_error, and the server carries on', async () => {
  await withServer({ runStepMs: 5 }, async (server) => {
    const assistant = await createAssistant(server, { tools: [{ type: 'function', function: { name: 'load', parameters: HUGE } }] });
    const threadId = await threadWith(server, 'Please call load.');
    const created = await ok(call(server, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistant.id }));
    const run = await settle(server, threadId, created.id as string);
    expect(run.status).toBe('failed');
    expect(run.failed_at).toEqual(expect.any(Number));
    expect(run.last_error).toEqual({ code: 'invalid_prompt', message: expect.stringMatching(/'load'.*larger than/) });
    expect((await call(server, 'GET', '/assistants')).status).toBe(200);
  });
});

describe('after a restart', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let dataFile: string;
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir('assistants-runs-'));
    dataFile = join(dir, 'data.jsonl');
  });
  afterEach(async () => {
    await cleanup();
  });

  /** A queued run, left as the journal holds it, plus the lines a crash would have left after it. */
  async function journalWithRun(crashLines: (run: Record<string, unknown>) => unknown[]): Promise<{ threadId: string; runId: string }> {
    const server = await startTestServer({ dataFile, runStepMs: 60_000 });
    const assistant = await createAssistant(server, { name: 'Helper' });
    const threadId = await threadWith(server, 'Hello there.');
    const run = await ok(call(server, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistant.id }));
    await server.close();
    const lines = crashLines(run).map((entry) => `${JSON.stringify(entry)}\n`);
    await appendFile(dataFile, lines.join(''));
    return { threadId, runId: run.id as string };
  }

  const progress = (id: unknown, extra: Record<string, unknown>): Record<string, unknown> => ({ ...blankProgress(String(id)), phase: 'think', ...extra });

  test('a run that had failed is not executed again, even when its progress record survived', async () => {
    const { threadId, runId } = await journalWithRun((run) => [
      { op: 'put', c: 'runs', v: { ...run, status: 'failed', started_at: 1, failed_at: 2, last_error: { code: 'server_error', message: 'boom' } } },
      { op: 'put', c: 'run_progress', v: progress(run.id, {}) },
    ]);
    await withServer({ dataFile, runStepMs: 5 }, async (server) => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const run = await ok(call(server, 'GET', `/threads/${threadId}/runs/${runId}`));
      expect(run).toMatchObject({ status: 'failed', failed_at: 2, last_error: { code: 'server_error', message: 'boom' } });
      const messages = await ok(call(server, 'GET', `/threads/${threadId}/messages`));
      expect((messages.data as unknown[]).length).toBe(1);
    });
    // Nor on the start after that: the stray progress record is gone.
    const journal = await readFile(dataFile, 'utf8');
    expect(journal).not.toContain('"run_progress"');
  });

  test('a run the server died executing ends failed instead of being executed again', async () => {
    const { threadId, runId } = await journalWithRun((run) => [
      { op: 'put', c: 'runs', v: { ...run, status: 'in_progress', started_at: 1 } },
      { op: 'put', c: 'run_progress', v: progress(run.id, { executing: true }) },
    ]);
    await withServer({ dataFile, runStepMs: 5 }, async (server) => {
      const run = await settle(server, threadId, runId);
      expect(run.status).toBe('failed');
      expect(run.last_error).toEqual({ code: 'server_error', message: expect.stringMatching(/stopped while executing this run/) });
      const messages = await ok(call(server, 'GET', `/threads/${threadId}/messages`));
      expect((messages.data as unknown[]).length).toBe(1);
    });
  });
});
