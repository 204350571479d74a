import { afterEach, beforeEach, describe, expect, onTestFinished, test } from 'vitest';
import { spawn } from 'node:child_process';
import { appendFile, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../src/server/index.js';
import { JournalStore as Store } from '../../src/server/store/embedded/journal-store.js';
import { remoteServer, startTestServer, type TestServer } from '../support/server.js';
import { call, createAssistant, upload } from './http.js';
import { makeTempDir } from '../support/temp-dir.js';

let dir: string;
let cleanup: () => Promise<void>;
let dataFile: string;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir('assistants-serve-'));
  dataFile = join(dir, 'data', 'server.jsonl');
});
afterEach(async () => {
  await cleanup();
});

/** Everything a client can see: assistants with their files, and files with their content. */
async function snapshot(server: TestServer): Promise<unknown> {
  const assistants = await call(server, 'GET', '/assistants?order=asc&limit=100');
  const files = await call(server, 'GET', '/files');
  const contents: string[] = [];
  for (const file of files.body.data as Array<{ id: string }>) {
    const response = await fetch(`${server.url}/files/${file.id}/content`, { headers: server.headers });
    contents.push(await response.text());
  }
  const links: unknown[] = [];
  for (const a of assistants.body.data as Array<{ id: string }>) {
    links.push((await call(server, 'GET', `/assistants/${a.id}/files?order=asc`)).body.data);
  }
  return { assistants: assistants.body.data, files: files.body.data, contents, links };
}

describe('with dataFile', () => {
  test('a restart keeps everything', async () => {
    let server = await startTestServer({ dataFile });
    const f1 = (await upload(server, 'first file')).body.id as string;
    const f2 = (await upload(server, 'second file', 'two.md')).body.id as string;
    const f3 = (await upload(server, 'doomed')).body.id as string;
    const a = await createAssistant(server, {
      name: 'A',
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      file_ids: [f1],
      metadata: { k: 'v' },
    });
    const b = await createAssistant(server, { name: 'B' });
    const c = await createAssistant(server, { name: 'C', file_ids: [f3] });
    await call(server, 'POST', `/assistants/${a.id as string}/files`, { file_id: f2 });
    await call(server, 'POST', `/assistants/${b.id as string}`, { instructions: 'changed' });
    await call(server, 'DELETE', `/assistants/${c.id as string}`);
    await call(server, 'DELETE', `/files/${f3}`);
    const before = await snapshot(server);
    await server.close();

    server = await startTestServer({ dataFile });
    expect(await snapshot(server)).toEqual(before);
    // New writes after a restart keep their order behind the old ones.
    const d = await createAssistant(server, { name: 'D' });
    const list = await call(server, 'GET', '/assistants?order=asc');
    expect((list.body.data as Array<{ name: string }>).map((x) => x.name)).toEqual(['A', 'B', 'D']);
    await server.close();
    // The journal was compacted on close: one header plus one line per live record.
    const lines = (await readFile(dataFile, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1 + 3 + 2 + 2);
    expect(d.id).toMatch(/^asst_/);
    // Blobs of deleted files are gone, with the text kept for retrieval.
    expect((await readdir(`${dataFile}.blobs`)).sort()).toEqual([f1, `${f1}.text`, f2, `${f2}.text`].sort());
  });

  test('a torn last line is dropped; a corrupt middle line is refused', async () => {
    let server = await startTestServer({ dataFile });
    await createAssistant(server, { name: 'kept' });
    await server.close();
    await appendFile(dataFile, '{"op":"put","c":"assistants","v":{"id":"asst_torn');
    server = await startTestServer({ dataFile });
    const list = await call(server, 'GET', '/assistants');
    expect((list.body.data as Array<{ name: string }>).map((x) => x.name)).toEqual(['kept']);
    await server.close();

    const text = await readFile(dataFile, 'utf8');
    await writeFile(dataFile, `${text}garbage\n${text.split('\n')[1] ?? ''}\n`);
    await expect(startServer({ dataFile })).rejects.toThrow(/corrupt journal line/);
  });

  test('POST /_admin/reset clears the file too', async () => {
    let server = await startTestServer({ dataFile });
    await createAssistant(server);
    await upload(server, 'x');
    await fetch(`${server.origin}/_admin/reset`, { method: 'POST' });
    await server.close();
    server = await startTestServer({ dataFile });
    expect(await snapshot(server)).toEqual({ assistants: [], files: [], contents: [], links: [] });
    await server.close();
  });

  test('acknowledged writes survive SIGKILL', async () => {
    const script = fileURLToPath(new URL('./fixtures/serve-child.mjs', import.meta.url));
    const child = spawn(process.execPath, [script, JSON.stringify({ port: 0, dataFile })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    onTestFinished(() => void child.kill('SIGKILL'));
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', () => reject(new Error('child exited before listening')));
    });
    const url = (JSON.parse(first) as { url: string }).url;
    const remote = remoteServer(url);
    const fileId = (await upload(remote, 'survives')).body.id as string;
    const first20 = await Promise.all(
      Array.from({ length: 20 }, (_, i) => createAssistant(remote, { name: `n${i}`, metadata: { i: String(i) } })),
    );
    const withFile = await createAssistant(remote, { name: 'with-file', file_ids: [fileId] });
    await call(remote, 'POST', `/assistants/${first20[0]?.id as string}`, { name: 'renamed' });
    await call(remote, 'DELETE', `/assistants/${first20[1]?.id as string}`);
    const acknowledged = await snapshot(remote);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const server = await startTestServer({ dataFile });
    expect(await snapshot(server)).toEqual(acknowledged);
    expect((await call(server, 'GET', `/assistants/${withFile.id as string}`)).body.file_ids).toEqual([fileId]);
    await server.close();
  });
});

describe('Store', () => {
  test('collections: insertion order, in-place updates, frozen records', async () => {
    const store = await Store.open();
    const things = store.collection<{ id: string; n: number }>('things');
    things.insert({ id: 'a', n: 1 });
    things.insert({ id: 'b', n: 2 });
    things.insert({ id: 'c', n: 3 });
    expect(() => things.insert({ id: 'a', n: 9 })).toThrow(/duplicate/);
    things.update('a', (t) => ({ ...t, n: 10 }));
    expect(things.all().map((t) => [t.id, t.n])).toEqual([
      ['a', 10],
      ['b', 2],
      ['c', 3],
    ]);
    expect(() => {
      (things.get('b') as { n: number }).n = 5;
    }).toThrow(TypeError);
    expect(things.update('zz', (t) => t)).toBeUndefined();
    expect(things.delete('a')).toBe(true);
    expect(things.delete('a')).toBe(false);
    expect(things.all().map((t) => t.id)).toEqual(['b', 'c']);
    expect(store.collection('things')).toBe(things);
    await store.close();
  });

  test('lookup by a field: oldest first, kept with inserts, updates that move a record, deletes and a transaction undone', async () => {
    const store = await Store.open();
    const links = store.collection<{ id: string; owner: string }>('links');
    const owned = (owner: string): string[] => links.lookup('owner', [owner]).map((l) => l.id);
    links.insert({ id: 'l1', owner: 'x' });
    links.insert({ id: 'l2', owner: 'y' });
    expect(owned('x')).toEqual(['l1']);
    // Built on the first lookup, then kept: later changes show in it.
    links.insert({ id: 'l3', owner: 'x' });
    links.update('l2', (l) => ({ ...l, owner: 'x' }));
    expect(owned('x')).toEqual(['l1', 'l2', 'l3']);
    expect(owned('y')).toEqual([]);
    links.delete('l1');
    expect(owned('x')).toEqual(['l2', 'l3']);
    expect(links.lookup('owner', ['x', 'y', 'x']).map((l) => l.id)).toEqual(['l2', 'l3']);
    expect(links.lookup('id', ['l3', 'l1', 'l2']).map((l) => l.id)).toEqual(['l2', 'l3']);
    // Undone changes come out of the index as they come out of the records.
    await expect(
      store.exclusive(async () => {
        links.delete('l2');
        links.update('l3', (l) => ({ ...l, owner: 'z' }));
        links.insert({ id: 'l4', owner: 'x' });
        throw new Error('rolled back');
      }, true),
    ).rejects.toThrow('rolled back');
    expect(owned('x')).toEqual(['l2', 'l3']);
    expect(owned('z')).toEqual([]);
    await store.close();
  });

  test('the journal is appended to and compacted once it outgrows its threshold', async () => {
    const store = await Store.open({ dataFile, compactAfterBytes: 2000 });
    const things = store.collection<{ id: string; n: number }>('things');
    things.insert({ id: 'x', n: 0 });
    await store.flush();
    const sizes: number[] = [];
    for (let i = 1; i <= 120; i++) {
      things.update('x', (t) => ({ ...t, n: i }));
      await store.flush();
      sizes.push((await readFile(dataFile, 'utf8')).trim().split('\n').length);
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(52);
    expect(sizes.some((s, i) => i > 0 && s < (sizes[i - 1] as number))).toBe(true);
    await store.close();
    const reopened = await Store.open({ dataFile });
    expect(reopened.collection<{ id: string; n: number }>('things').get('x')?.n).toBe(120);
    await reopened.close();
  });

  test('one server per data file; a lock left by a dead process is taken over', async () => {
    const store = await Store.open({ dataFile, holder: 'assistants serve' });
    await expect(Store.open({ dataFile })).rejects.toThrow(new RegExp(`is in use by assistants serve \\(pid ${process.pid} since `));
    await store.close();
    await writeFile(`${dataFile}.lock`, '99999999\n');
    const again = await Store.open({ dataFile, holder: 'assistants plan' });
    expect(JSON.parse(await readFile(`${dataFile}.lock`, 'utf8'))).toMatchObject({ pid: process.pid, label: 'assistants plan' });
    await again.close();
    // A lock file of an older version holds only the pid.
    await writeFile(`${dataFile}.lock`, `${process.ppid}\n`);
    await expect(Store.open({ dataFile })).rejects.toThrow(`in use by another server (pid ${process.ppid})`);
  });

  test('a server that fails to listen releases its data file', async () => {
    const taken = await startTestServer();
    await expect(startServer({ port: taken.port, dataFile })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await taken.close();
    const server = await startTestServer({ dataFile });
    await server.close();
  });

  test('a newer journal version is refused', async () => {
    await writeFile(dataFile.replace('data/', ''), '{"format":"assistants-serve-journal","version":99}\n');
    await expect(Store.open({ dataFile: dataFile.replace('data/', '') })).rejects.toThrow(/version 99/);
  });
});
