/**
 * A request the client gave up on while the server was still at work on it: the look-up
 * after the timeout misses it, the request is sent again, and then the first one lands.
 * Nothing of ours may be left untracked: the apply deletes what landed before it ends, and
 * the next plan what landed after. The moment is set by a proxy in front of the local
 * server that keeps the first such request (its body read, no answer) and passes it on
 * when the test says.
 */
import { readFile } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssistantsApi, createConfiguration, FilesApi } from '../../src/api/index.js';
import { parseState } from '../../src/state/format.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeProject, runCli, withEndpoint } from './cli.js';

interface Deferred {
  /** Resolves once the picked request has arrived (its body read). */
  arrived: Promise<void>;
  /** Passes it on to the server and resolves once the server has answered (the answer goes nowhere). */
  land: () => Promise<void>;
}

/**
 * Passes every request on to `target`. `deferNext` picks the next request to keep;
 * `beforeNext` runs a step before the next request it picks is passed on.
 */
async function startDeferringProxy(target: URL): Promise<{
  url: string;
  deferNext: (match: (req: IncomingMessage) => boolean) => Deferred;
  beforeNext: (match: (req: IncomingMessage) => boolean, step: () => Promise<void>) => void;
  close: () => Promise<void>;
}> {
  let deferring: { match: (req: IncomingMessage) => boolean; keep: (req: IncomingMessage, body: Buffer) => void } | null = null;
  let before: { match: (req: IncomingMessage) => boolean; step: () => Promise<void> } | null = null;
  const forward = (req: IncomingMessage, body: Buffer, answer: (res: IncomingMessage) => void): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (res) => {
        answer(res);
        res.once('end', resolve);
      });
      upstream.on('error', reject);
      upstream.end(body);
    });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (deferring !== null && deferring.match(req)) {
        const { keep } = deferring;
        deferring = null;
        keep(req, body);
        return; // no answer: the client times out
      }
      const step = before !== null && before.match(req) ? before.step : null;
      if (step !== null) before = null;
      void (async () => {
        await step?.();
        await forward(req, body, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
      })().catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    deferNext: (match) => {
      let kept: { req: IncomingMessage; body: Buffer } | null = null;
      const arrived = new Promise<void>((resolve) => {
        deferring = {
          match,
          keep: (req, body) => {
            kept = { req, body };
            resolve();
          },
        };
      });
      return {
        arrived,
        land: async () => {
          await arrived;
          const { req, body } = kept!;
          await forward(req, body, (answer) => answer.resume());
        },
      };
    },
    beforeNext: (match, step) => {
      before = { match, step };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Each test its own project (the server is shared): its own tags, and its own file content. */
const manifest = (project: string): string => `version: 1
project: ${project}
files:
  faq:
    path: faq.md
assistants:
  helper:
    model: gpt-4
    files: [faq]
`;

const isUpload = (req: IncomingMessage): boolean => req.method === 'POST' && req.url === '/v1/files';
const isCreate = (req: IncomingMessage): boolean => req.method === 'POST' && req.url === '/v1/assistants';

let server: TestServer;
let proxy: Awaited<ReturnType<typeof startDeferringProxy>>;
let files: FilesApi;
let assistants: AssistantsApi;

beforeAll(async () => {
  server = await startTestServer();
  proxy = await startDeferringProxy(new URL(server.url));
  const configuration = createConfiguration({ apiKey: server.apiKey, baseUrl: server.url });
  files = new FilesApi(configuration);
  assistants = new AssistantsApi(configuration);
});
afterAll(async () => {
  await proxy.close();
  await server.close();
});

async function project(name: string): Promise<{ cli: (...args: string[]) => ReturnType<typeof runCli>; dir: string }> {
  const dir = await makeProject({ 'assistants.yaml': manifest(name), 'faq.md': `the faq of ${name}\n` });
  const env = { OPENAI_API_KEY: server.apiKey };
  return { dir, cli: (...args: string[]) => runCli(withEndpoint(args, proxy.url), { cwd: dir, env }) };
}

async function recordedIds(dir: string): Promise<{ files: string[]; assistants: string[] }> {
  const state = parseState(await readFile(join(dir, '.assistants/state/default.json'), 'utf8'), 'state');
  return { files: Object.values(state.files).map((f) => f.id), assistants: Object.values(state.assistants).map((a) => a.id) };
}

/** The server's uploads of `dir`'s faq.md (each test's differs in size). */
async function uploadsOf(dir: string): Promise<string[]> {
  const bytes = (await readFile(join(dir, 'faq.md'))).length;
  return (await files.listFiles({ purpose: 'assistants' })).data.filter((f) => f.filename === 'faq.md' && f.bytes === bytes).map((f) => f.id).sort();
}

describe('an upload that lands after the look-up for it missed', () => {
  it('landing while it is sent again: the apply deletes the leftover before it reports', async () => {
    const { cli, dir } = await project('desk');
    const first = proxy.deferNext(isUpload);
    // The second upload goes on only once the first has landed on the server.
    proxy.beforeNext(isUpload, first.land);
    const apply = await cli('apply', '--auto-approve', '--request-timeout', '1s');
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stderr).toMatch(/^Deleted 1 leftover\(s\) of requests that got no answer, were not found and were sent again: file faq \(file-[^)]+\)\.$/m);
    const recorded = await recordedIds(dir);
    expect(await uploadsOf(dir)).toEqual(recorded.files);
    const plan = await cli('plan', '--detailed-exitcode');
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  }, 60_000);

  it('landing after the apply ended: the next plan shows it as ours to delete, and apply deletes it', async () => {
    const { cli, dir } = await project('kiosk');
    const first = proxy.deferNext(isUpload);
    const apply = await cli('apply', '--auto-approve', '--request-timeout', '1s');
    expect(apply.code, apply.stderr).toBe(0);
    await first.land();
    const recorded = await recordedIds(dir);
    const uploads = await uploadsOf(dir);
    expect(uploads).toHaveLength(2);
    const leftover = uploads.find((id) => !recorded.files.includes(id))!;

    const plan = await cli('plan', '--detailed-exitcode');
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toContain('# file "faq" will be deleted (left over: an upload of ours no longer used)');
    expect(plan.stdout).toContain(`- id       = "${leftover}"`);
    expect(plan.stdout).toContain('Plan: 0 to add, 0 to change, 0 to destroy.\nFiles: 0 to upload, 1 to delete.');
    const cleanup = await cli('apply', '--auto-approve');
    expect(cleanup.code, cleanup.stderr).toBe(0);
    expect(await uploadsOf(dir)).toEqual(recorded.files);
    expect((await cli('plan', '--detailed-exitcode')).code).toBe(0);
  }, 60_000);
});

describe('a create that lands after the look-up for it missed', () => {
  it('landing after the apply ended: its tag makes it ours, and the next plan deletes it as a duplicate', async () => {
    const { cli, dir } = await project('counter');
    const first = proxy.deferNext(isCreate);
    const apply = await cli('apply', '--auto-approve', '--request-timeout', '1s');
    expect(apply.code, apply.stderr).toBe(0);
    await first.land();
    const recorded = await recordedIds(dir);
    const tagged: string[] = [];
    for await (const a of assistants.iterateAssistants({})) if (a.metadata?.['assistants-iac'] === 'counter/default/helper') tagged.push(a.id);
    expect(tagged).toHaveLength(2);
    const duplicate = tagged.find((id) => !recorded.assistants.includes(id))!;

    const plan = await cli('plan', '--detailed-exitcode');
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toContain(`orphan: duplicate of ${recorded.assistants[0]}`);
    expect(plan.stdout).toContain(duplicate);
    expect((await cli('apply', '--auto-approve')).code).toBe(0);
    await expect(assistants.getAssistant({ assistantId: duplicate })).rejects.toThrow(/No assistant found/);
    expect((await cli('plan', '--detailed-exitcode')).code).toBe(0);
  }, 60_000);
});
