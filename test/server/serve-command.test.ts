import { expect, test } from 'vitest';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { register, serveOptions } from '../../src/cli/commands/serve.js';
import { Interrupts } from '../../src/cli/interrupts.js';
import type { CliIo } from '../../src/cli/io.js';
import { UserError } from '../../src/errors.js';
import { startServer } from '../../src/server/index.js';
import { makeTempDir } from '../support/temp-dir.js';
import { startFakeUpstream } from './fake-chat-upstream.js';

function testIo(env: NodeJS.ProcessEnv = {}): CliIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let text = '';
  let errText = '';
  stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (errText += chunk.toString()));
  return {
    stdout,
    stderr,
    stdin: new PassThrough(),
    env,
    cwd: process.cwd(),
    interactive: false,
    color: false,
    interrupts: new Interrupts(),
    exitCode: -1,
    out: () => text,
    err: () => errText,
  };
}

/** Runs `serve ARGS` in-process until `use` is done, then stops it with SIGTERM. */
async function withServe(
  args: string[],
  use: (url: string, io: ReturnType<typeof testIo>) => Promise<void>,
  env: NodeJS.ProcessEnv = {},
): Promise<ReturnType<typeof testIo>> {
  const io = testIo(env);
  const program = new Command().exitOverride();
  register(program, io);
  const running = program.parseAsync(['serve', '--port', '0', ...args], { from: 'user' });
  let url: string | undefined;
  for (let i = 0; i < 200 && !url; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    url = /^listening on (http:\/\/127\.0\.0\.1:\d+\/v1)\n$/.exec(io.out())?.[1];
  }
  if (!url) throw new Error(`serve did not start: ${io.err()}`);
  try {
    await use(url, io);
  } finally {
    process.emit('SIGTERM', 'SIGTERM');
    await running;
  }
  return io;
}

test('serve listens, prints its url, and stops on SIGTERM', async () => {
  const io = testIo();
  const program = new Command().exitOverride();
  register(program, io);
  const running = program.parseAsync(['serve', '--port', '0', '--api-key', 'k1', '--rate-limit', '100'], { from: 'user' });
  let url: string | undefined;
  for (let i = 0; i < 200 && !url; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    url = /^listening on (http:\/\/127\.0\.0\.1:\d+\/v1)\n$/.exec(io.out())?.[1];
  }
  expect(url).toBeDefined();
  const reply = await fetch(`${url as string}/assistants`, {
    headers: { authorization: 'Bearer k1', 'openai-beta': 'assistants=v1' },
  });
  expect(reply.status).toBe(200);
  expect(reply.headers.get('x-ratelimit-limit-requests')).toBe('100');
  process.emit('SIGTERM', 'SIGTERM');
  await running;
  expect(io.exitCode).toBe(0);
  await expect(fetch(`${url as string}/assistants`)).rejects.toThrow();
});

test('flags become options; bad values are usage errors naming the flag', () => {
  expect(
    serveOptions({
      port: '8787',
      host: '0.0.0.0',
      data: 'x.jsonl',
      apiKey: 'k',
      latencyMs: '5',
      rateLimit: '2.5',
      faultRate: '0.3',
      faultSeed: '42',
    }),
  ).toEqual({
    port: 8787,
    host: '0.0.0.0',
    dataFile: 'x.jsonl',
    apiKey: 'k',
    latencyMs: 5,
    rateLimit: 2.5,
    faultRate: 0.3,
    faultSeed: 42,
  });
  expect(serveOptions({ port: '0', host: '127.0.0.1', admin: false, logRequests: true })).toMatchObject({ admin: false, logRequests: true });
  for (const [flags, flag] of [
    [{ port: 'abc' }, '--port'],
    [{ port: '70000' }, '--port'],
    [{ latencyMs: '-1' }, '--latency-ms'],
    [{ rateLimit: '0' }, '--rate-limit'],
    [{ faultRate: '1.5' }, '--fault-rate'],
    [{ faultSeed: '1.5' }, '--fault-seed'],
    [{ apiKey: '' }, '--api-key'],
    [{ repair: true }, '--repair'],
  ] as const) {
    const call = (): unknown => serveOptions(Object.assign({ port: '0', host: '127.0.0.1' }, flags));
    expect(call).toThrow(UserError);
    expect(call).toThrow(flag);
  }
});

test('a data file locked by another server is a one-line config error', async () => {
  const { dir, cleanup } = await makeTempDir('serve-cmd-');
  const dataFile = join(dir, 'data.jsonl');
  const holder = await startServer({ dataFile });
  try {
    const io = testIo();
    const program = new Command().exitOverride();
    register(program, io);
    const failure = program.parseAsync(['serve', '--port', '0', '--data', dataFile], { from: 'user' });
    await expect(failure).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringMatching(/^Could not start the server: .*is in use by another server \(pid \d+ since /) });
    expect(io.out()).toBe('');
  } finally {
    await holder.close();
    await cleanup();
  }
});

test('serve --log-requests prints method, path, status, time and request id, one line each, never a key or a body', async () => {
  const key = 'sk-secret-key-0123456789';
  const ids: string[] = [];
  const io = await withServe(['--api-key', key, '--log-requests'], async (url) => {
    const headers = { authorization: `Bearer ${key}`, 'openai-beta': 'assistants=v1', 'content-type': 'application/json' };
    const created = await fetch(`${url}/assistants`, { method: 'POST', headers, body: JSON.stringify({ model: 'm', instructions: 'BODY-TEXT' }) });
    ids.push(created.headers.get('x-request-id') ?? '');
    await created.text();
    const refused = await fetch(`${url}/assistants?limit=5`, { headers: { ...headers, authorization: 'Bearer sk-wrong-key-9876543210' } });
    ids.push(refused.headers.get('x-request-id') ?? '');
    await refused.text();
  });
  const lines = io.err().trim().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(new RegExp(`^POST /v1/assistants 200 \\d+ms ${ids[0]}$`));
  expect(lines[1]).toMatch(new RegExp(`^GET /v1/assistants 401 \\d+ms ${ids[1]}$`));
  for (const secret of [key, 'sk-wrong-key', 'BODY-TEXT', 'limit=5']) expect(io.err()).not.toContain(secret);
});

test('without --log-requests serve logs no requests', async () => {
  const io = await withServe([], async (url) => {
    await (await fetch(`${url}/assistants`, { headers: { authorization: 'Bearer k', 'openai-beta': 'assistants=v1' } })).text();
  });
  expect(io.err()).toBe('');
});

test('serve --no-admin answers /_admin with 404', async () => {
  await withServe(['--no-admin'], async (url) => {
    const reply = await fetch(url.replace(/\/v1$/, '/_admin/stats'));
    expect(reply.status).toBe(404);
  });
});

test('serve --data F --repair starts past corrupt lines and says what it dropped and kept', async () => {
  const { dir, cleanup } = await makeTempDir('serve-cmd-');
  const dataFile = join(dir, 'data.jsonl');
  try {
    const holder = await startServer({ dataFile });
    await holder.close();
    await appendFile(dataFile, 'not json\n');
    const io = await withServe(['--data', dataFile, '--repair'], async (url) => {
      expect((await fetch(`${url}/assistants`, { headers: { authorization: 'Bearer k', 'openai-beta': 'assistants=v1' } })).status).toBe(200);
    });
    expect(io.err()).toMatch(new RegExp(`^assistants serve: repaired ${dataFile}: dropped 1 corrupt line \\(2\\); the original journal and uploads are kept in ${dataFile}\\.backup-\\d{8}T\\d{6}Z\n$`));
  } finally {
    await cleanup();
  }
});

test('serve --model chat: the key comes from the variable named, the start says whether the upstream answers, runs reach it', async () => {
  const upstream = await startFakeUpstream();
  const key = 'sk-upstream-from-env-0123456789';
  try {
    upstream.script({ text: 'Bonjour.' });
    const args = ['--model', 'chat', '--upstream-url', upstream.url, '--upstream-key-env', 'UPSTREAM_KEY', '--model-map', 'gpt-4=mistral'];
    const io = await withServe(
      args,
      async (url, running) => {
        const headers = { authorization: 'Bearer k', 'openai-beta': 'assistants=v1', 'content-type': 'application/json' };
        const assistant = (await (await fetch(`${url}/assistants`, { method: 'POST', headers, body: JSON.stringify({ model: 'gpt-4' }) })).json()) as { id: string };
        const body = JSON.stringify({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: 'Salut' }] }, stream: true });
        const events = await (await fetch(`${url}/threads/runs`, { method: 'POST', headers, body })).text();
        expect(events).toContain('event: thread.run.completed');
        for (let i = 0; i < 100 && !running.err().includes('answers'); i++) await new Promise((resolve) => setTimeout(resolve, 10));
      },
      { UPSTREAM_KEY: key },
    );
    expect(io.err()).toBe(`assistants serve: runs use the Chat Completions API at ${upstream.url} (it answers)\n`);
    expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${key}`);
    expect(upstream.requests.at(-1)?.body.model).toBe('mistral');
    expect(io.out() + io.err()).not.toContain(key);
  } finally {
    await upstream.close();
  }
});

test('serve --model chat starts with an upstream that is not answering, and says so', async () => {
  const upstream = await startFakeUpstream();
  const url = upstream.url;
  await upstream.close();
  const io = await withServe(['--model', 'chat', '--upstream-url', url], async (_url, running) => {
    for (let i = 0; i < 300 && !running.err().includes('not answering'); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  });
  expect(io.err()).toMatch(new RegExp(`^assistants serve: runs use the Chat Completions API at ${url.replace(/[.]/g, '\\.')}, which is not answering \\(.*ECONNREFUSED.*\\); runs will fail until it does\n$`));
});

test('--retrieval-index-chars bounds the index', () => {
  expect(serveOptions({ port: '0', host: '127.0.0.1', retrievalIndexChars: '1000000' })).toMatchObject({ retrieval: { maxIndexChars: 1_000_000 } });
  expect(() => serveOptions({ port: '0', host: '127.0.0.1', retrievalIndexChars: '0' })).toThrow('--retrieval-index-chars must be a whole number of characters > 0');
});
