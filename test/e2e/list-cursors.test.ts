/**
 * The built CLI reads the assistant listing's pages ahead from the cursors the last
 * complete listing left (`.assistants/cache/list-cursors.json`): a repeated plan sends the
 * requests it sent before, at once, and so do state rebuild and export; creates and deletes made by hand between runs (the
 * hint ids themselves included) leave the plan exactly right; a page read ahead that the
 * server answers with an error or garbage is asked for again; a cache that cannot be used
 * is ignored and rewritten; the file is private and holds no key.
 */
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssistantsApi, createConfiguration } from '../../src/api/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeProject, runCli, runCliInProcess, writeFiles, type CliResult } from './cli.js';
import { startProxy, type Seen } from './recording-proxy.js';

const CACHE = '.assistants/cache/list-cursors.json';

function fleet(count: number, project: string, skip: ReadonlySet<number> = new Set()): string {
  const lines = ['version: 1', `project: ${project}`, 'assistants:'];
  for (let i = 0; i < count; i++) if (!skip.has(i)) lines.push(`  a${i}:`, `    name: Assistant ${i}`, '    model: gpt-4');
  return `${lines.join('\n')}\n`;
}

const listings = (seen: readonly Seen[]): string[] => seen.filter((s) => /^\/v1\/assistants(\?|$)/.test(s.url)).map((s) => s.url);

let server: TestServer;
let api: AssistantsApi;
let env: Record<string, string>;
beforeAll(async () => {
  server = await startTestServer();
  api = new AssistantsApi(createConfiguration({ apiKey: server.apiKey, baseUrl: server.url }));
  env = { OPENAI_API_KEY: server.apiKey };
});
afterAll(async () => server.close());

async function cursorsIn(dir: string): Promise<string[]> {
  const cache = JSON.parse(await readFile(join(dir, CACHE), 'utf8')) as { listings: Array<{ cursors: string[] }> };
  return cache.listings[0]?.cursors ?? [];
}

/**
 * Runs the command with no cursors to read ahead from: it lists the 3 pages one after another,
 * and leaves as cursors the ids it asked for the pages after.
 */
async function pageByPage(dir: string, proxy: Awaited<ReturnType<typeof startProxy>>, args: string[]): Promise<{ result: CliResult; requests: string[]; cursors: string[] }> {
  proxy.seen.length = 0;
  const result = await runCli([...args, '--endpoint', proxy.url], { cwd: dir, env });
  expect(result.code, result.stderr).toBe(0);
  const requests = listings(proxy.seen);
  expect(requests).toHaveLength(3);
  const cursors = await cursorsIn(dir);
  expect(requests.slice(1).map((url) => new URL(url, 'http://x').searchParams.get('after'))).toEqual(cursors);
  return { result, requests, cursors };
}

describe('the listing read ahead from remembered cursors', () => {
  it('a repeated plan sends the same requests, the pages after the first asked for at once; the cache is private and keyless', async () => {
    const dir = await makeProject({ 'assistants.yaml': fleet(250, 'ahead') });
    const proxy = await startProxy(server.url);
    try {
      expect((await runCliInProcess(['apply', '--auto-approve', '--endpoint', proxy.url], { cwd: dir, env })).code).toBe(0);
      const { result: first, requests: firstRequests, cursors } = await pageByPage(dir, proxy, ['plan', '--detailed-exitcode']);
      expect(cursors).toHaveLength(2);

      proxy.seen.length = 0;
      proxy.holdFirstPage(3);
      const second = await runCli(['plan', '--detailed-exitcode', '--endpoint', proxy.url], { cwd: dir, env });
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toBe(first.stdout);
      expect([...listings(proxy.seen)].sort()).toEqual([...firstRequests].sort());
      expect(proxy.seen.length).toBe(4);
      // The first page was answered only once all three had been asked for.
      const firstPage = proxy.seen.find((s) => /^\/v1\/assistants\?/.test(s.url) && !s.url.includes('after='));
      expect(firstPage?.askedBeforeAnswer).toBe(3);

      expect((await stat(join(dir, CACHE))).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir, '.assistants/cache'))).mode & 0o777).toBe(0o700);
      const text = await readFile(join(dir, CACHE), 'utf8');
      expect(text).not.toContain(server.apiKey);
      expect(JSON.parse(text)).toEqual({
        version: 1,
        list: 'GET /assistants?order=asc',
        listings: [{ endpoint: proxy.url, organization: null, project: null, cursors }],
      });

      // Destroy deletes every assistant there is: it leaves no cursor to read ahead from.
      expect((await runCliInProcess(['destroy', '--auto-approve', '--endpoint', proxy.url], { cwd: dir, env })).code).toBe(0);
      expect(await cursorsIn(dir)).toEqual([]);
    } finally {
      await proxy.close();
    }
  }, 120_000);

  it('state rebuild and export read the account as a plan does: page by page with no cursors, then ahead, leaving theirs', async () => {
    const dir = await makeProject({ 'assistants.yaml': fleet(250, 'whole') });
    const proxy = await startProxy(server.url);
    try {
      expect((await runCliInProcess(['apply', '--auto-approve', '--endpoint', proxy.url], { cwd: dir, env })).code).toBe(0);
      // A cold apply lists none of them: no cursors yet.
      expect(await cursorsIn(dir)).toEqual([]);
      const { requests: pagesOneByOne, cursors } = await pageByPage(dir, proxy, ['state', 'rebuild']);

      proxy.seen.length = 0;
      proxy.holdFirstPage(3);
      const exported = await runCli(['export', '-f', 'exported.yaml', '--project', 'whole', '--endpoint', proxy.url], { cwd: dir, env });
      expect(exported.code, exported.stderr).toBe(0);
      expect((await readFile(join(dir, 'exported.yaml'), 'utf8')).match(/^ {2}\S/gm)).toHaveLength(250);
      expect([...listings(proxy.seen)].sort()).toEqual([...pagesOneByOne].sort());
      expect(proxy.seen.find((s) => /^\/v1\/assistants\?/.test(s.url) && !s.url.includes('after='))?.askedBeforeAnswer).toBe(3);
      expect(await cursorsIn(dir)).toEqual(cursors);
      // The tests after this one list the same server.
      expect((await runCliInProcess(['destroy', '--auto-approve', '--endpoint', proxy.url], { cwd: dir, env })).code).toBe(0);
    } finally {
      await proxy.close();
    }
  }, 120_000);

  it('creates and deletes made by hand between runs, hint ids included, leave the plan exactly right', async () => {
    const fillers: string[] = [];
    for (let i = 0; i < 120; i++) fillers.push((await api.createAssistant({ createAssistantRequest: { model: 'gpt-4', name: `filler ${i}` } })).id);
    const dir = await makeProject({ 'assistants.yaml': fleet(200, 'byhand') });
    try {
      expect((await runCliInProcess(['apply', '--auto-approve', '--endpoint', server.url, '--parallelism', '1'], { cwd: dir, env })).code).toBe(0);
      expect((await runCliInProcess(['plan', '--detailed-exitcode', '--endpoint', server.url], { cwd: dir, env })).code).toBe(0);
      const cursors = await cursorsIn(dir);
      const listed = (await api.iterateAssistants({ order: 'asc' }).toArray()).map((a) => a.id);
      const at = (index: number): string => listed[index] ?? '';
      // Cursors at 99 (a filler: unmanaged), 199 and 299 (managed), among the other helpers' assistants.
      expect(cursors.slice(-3)).toEqual([99, 199, 299].map((i) => at(listed.length - 320 + i)));
      const base = listed.length - 320;
      const state = JSON.parse(await readFile(join(dir, '.assistants/state/default.json'), 'utf8')) as { assistants: Record<string, { id: string }> };
      const keyOf = new Map(Object.entries(state.assistants).map(([key, record]) => [record.id, key]));
      // By hand: the filler that is a hint and ten before it; two managed ones, a hint and one between hints; 15 new at the end.
      const gone = [at(base + 99), ...Array.from({ length: 10 }, (_, i) => at(base + 80 + i)), at(base + 199), at(base + 250)];
      for (const id of gone) await api.deleteAssistant({ assistantId: id });
      for (let i = 0; i < 15; i++) await api.createAssistant({ createAssistantRequest: { model: 'gpt-4', name: `late ${i}` } });

      const ahead = await runCli(['plan', '--json', '--endpoint', server.url], { cwd: dir, env });
      expect(ahead.code, ahead.stderr).toBe(0);
      type PlanJson = { summary: Record<string, number>; assistants: Array<{ key: string; action: string }> };
      const plan = JSON.parse(ahead.stdout) as PlanJson;
      const recreated = [at(base + 199), at(base + 250)].map((id) => keyOf.get(id)).sort();
      expect(recreated.every((key) => key !== undefined)).toBe(true);
      expect(plan.assistants.filter((a) => a.action !== 'no-op').map((a) => `${a.action} ${a.key}`).sort()).toEqual(recreated.map((key) => `create ${key}`));
      expect(plan.summary).toMatchObject({ add: 2, change: 0, destroy: 0 });

      // The same plan as one read page by page, with no cache.
      await rm(join(dir, CACHE));
      const plain = JSON.parse((await runCli(['plan', '--json', '--endpoint', server.url], { cwd: dir, env })).stdout) as PlanJson;
      expect(plain.assistants).toEqual(plan.assistants);
      expect(plain.summary).toEqual(plan.summary);
    } finally {
      await runCliInProcess(['destroy', '--auto-approve', '--endpoint', server.url], { cwd: dir, env });
      for (const id of fillers) await api.deleteAssistant({ assistantId: id }).catch(() => {});
    }
  }, 120_000);

  it('a page read ahead that the server answers with an error or garbage is asked for again when reached', async () => {
    const dir = await makeProject({ 'assistants.yaml': fleet(250, 'faulty') });
    const proxy = await startProxy(server.url);
    try {
      expect((await runCliInProcess(['apply', '--auto-approve', '--endpoint', proxy.url], { cwd: dir, env })).code).toBe(0);
      expect((await runCliInProcess(['plan', '--endpoint', proxy.url], { cwd: dir, env })).code).toBe(0);
      proxy.seen.length = 0;
      const [c1, c2] = await cursorsIn(dir);
      proxy.answer((url, count) => {
        if (count > 1) return null;
        if (url.includes(`after=${c1}`)) return { status: 400, body: JSON.stringify({ error: { message: 'no such cursor', type: 'invalid_request_error' } }) };
        if (url.includes(`after=${c2}`)) return { status: 200, body: '{"object": "list", "data": [garbage' };
        return null;
      });
      const plan = await runCli(['plan', '--detailed-exitcode', '--endpoint', proxy.url], { cwd: dir, env });
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stderr).toBe('');
      const asked = listings(proxy.seen);
      expect(asked.filter((url) => url.includes(`after=${c1}`))).toHaveLength(2);
      expect(asked.filter((url) => url.includes(`after=${c2}`))).toHaveLength(2);
      expect(asked).toHaveLength(5);
      expect(await cursorsIn(dir)).toEqual([c1, c2]);
    } finally {
      proxy.answer(null);
      await runCliInProcess(['destroy', '--auto-approve', '--endpoint', proxy.url], { cwd: dir, env });
      await proxy.close();
    }
  }, 120_000);

  it('a corrupt, oversized or wrong-shaped cache, or one of gone ids, is ignored and rewritten; the plan is right', async () => {
    const dir = await makeProject({ 'assistants.yaml': fleet(150, 'corrupt') });
    try {
      expect((await runCliInProcess(['apply', '--auto-approve', '--endpoint', server.url], { cwd: dir, env })).code).toBe(0);
      const valid = (cursors: unknown): string => `${JSON.stringify({ version: 1, list: 'GET /assistants?order=asc', listings: [{ endpoint: server.url, organization: null, project: null, cursors }] })}\n`;
      const caches: Array<[string, string]> = [
        ['not JSON', '{"version": 1, "listings": [{'],
        ['oversized', `${valid([])}${' '.repeat(3 * 1024 * 1024)}`],
        ['another version', valid(['asst_x']).replace('"version":1', '"version":2')],
        ['a cursor that is not an id', valid(['asst_1&limit=1'])],
        ['not a list', JSON.stringify({ version: 1, list: 'GET /assistants?order=asc', listings: { a: 1 } })],
        ['gone ids', valid(['asst_gone0', 'asst_gone1', 'asst_gone2'])],
      ];
      for (const [what, text] of caches) {
        await writeFile(join(dir, CACHE), text, { mode: 0o600 });
        const plan = await runCli(['plan', '--detailed-exitcode', '--endpoint', server.url], { cwd: dir, env });
        expect(plan.code, `${what}: ${plan.stderr}`).toBe(0);
        expect(plan.stdout, what).toContain('No changes');
        const listed = (await api.iterateAssistants({ order: 'asc' }).toArray()).map((a) => a.id);
        expect(await cursorsIn(dir), what).toEqual(listed.filter((_, i) => i % 100 === 99 && i < listed.length - 1));
      }
    } finally {
      await runCliInProcess(['destroy', '--auto-approve', '--endpoint', server.url], { cwd: dir, env });
    }
  }, 120_000);

  it('an apply that deletes leaves the cursors of what is left: the next plan sends page by page\'s requests', async () => {
    const dir = await makeProject({ 'assistants.yaml': fleet(250, 'shrink') });
    const proxy = await startProxy(server.url);
    try {
      expect((await runCliInProcess(['apply', '--auto-approve', '--endpoint', proxy.url], { cwd: dir, env })).code).toBe(0);
      expect((await runCliInProcess(['plan', '--endpoint', proxy.url], { cwd: dir, env })).code).toBe(0);
      // Drop the keys whose assistants end the first two pages (their ids are the cursors), and one more.
      const state = JSON.parse(await readFile(join(dir, '.assistants/state/default.json'), 'utf8')) as { assistants: Record<string, { id: string }> };
      const cursors = await cursorsIn(dir);
      const dropped = Object.entries(state.assistants).filter(([key, record]) => cursors.includes(record.id) || key === 'a10').map(([key]) => Number(key.slice(1)));
      expect(dropped).toHaveLength(3);
      await writeFiles(dir, { 'assistants.yaml': fleet(250, 'shrink', new Set(dropped)) });
      expect((await runCliInProcess(['apply', '--auto-approve', '--endpoint', proxy.url], { cwd: dir, env })).code).toBe(0);
      const listed = (await api.iterateAssistants({ order: 'asc' }).toArray()).map((a) => a.id);
      expect(await cursorsIn(dir)).toEqual(listed.filter((_, i) => i % 100 === 99 && i < listed.length - 1));
      proxy.seen.length = 0;
      expect((await runCli(['plan', '--detailed-exitcode', '--endpoint', proxy.url], { cwd: dir, env })).code).toBe(0);
      expect(listings(proxy.seen)).toHaveLength(Math.ceil(listed.length / 100));
    } finally {
      await runCliInProcess(['destroy', '--auto-approve', '--endpoint', proxy.url], { cwd: dir, env });
      await proxy.close();
    }
  }, 120_000);
});
