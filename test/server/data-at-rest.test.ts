/**
 * What `--data` keeps on disk: private to its owner, corruption reported with FILE:LINE
 * wherever it is, `--repair` (keeping a backup) to get past it, and a start that does not
 * trip over a stray file in the uploads folder.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { chmod, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer } from '../../src/server/index.js';
import { startTestServer } from '../support/server.js';
import { call, createAssistant, upload } from './http.js';
import { makeTempDir } from '../support/temp-dir.js';

let dir: string;
let cleanup: () => Promise<void>;
let dataFile: string;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir('assistants-rest-'));
  dataFile = join(dir, 'data', 'server.jsonl');
});
afterEach(async () => {
  await cleanup();
});

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

async function names(server: Awaited<ReturnType<typeof startTestServer>>): Promise<string[]> {
  const list = await call(server, 'GET', '/assistants?order=asc&limit=100');
  return (list.body.data as Array<{ name: string }>).map((a) => a.name);
}

/** A journal with assistants a, b and c (one line each after the header), and one upload. */
async function journalOfThree(): Promise<{ lines: string[]; fileId: string }> {
  const server = await startTestServer({ dataFile });
  for (const name of ['a', 'b', 'c']) await createAssistant(server, { name });
  const fileId = (await upload(server, 'kept content')).body.id as string;
  await server.close();
  return { lines: (await readFile(dataFile, 'utf8')).split('\n').filter((line) => line !== ''), fileId };
}

test('the data file, its folder, the uploads folder and every upload are private to the owner', async () => {
  const server = await startTestServer({ dataFile });
  const fileId = (await upload(server, 'secret')).body.id as string;
  expect(await mode(join(dir, 'data'))).toBe(0o700);
  expect(await mode(dataFile)).toBe(0o600);
  expect(await mode(`${dataFile}.lock`)).toBe(0o600);
  expect(await mode(`${dataFile}.blobs`)).toBe(0o700);
  expect(await mode(join(`${dataFile}.blobs`, fileId))).toBe(0o600);
  expect(await mode(join(`${dataFile}.blobs`, `${fileId}.text`))).toBe(0o600);
  await server.close();
  // Files an older version left world-readable are made private on the next start.
  await chmod(dataFile, 0o644);
  await chmod(`${dataFile}.blobs`, 0o755);
  const again = await startTestServer({ dataFile });
  expect(await mode(dataFile)).toBe(0o600);
  expect(await mode(`${dataFile}.blobs`)).toBe(0o700);
  await again.close();
});

describe('a corrupt journal', () => {
  test('a bad last line that ends with a newline is reported with FILE:LINE, like a bad middle one', async () => {
    const { lines } = await journalOfThree();
    await writeFile(dataFile, `${lines.join('\n')}\n{"op":"put","c":"assis\n`);
    await expect(startServer({ dataFile })).rejects.toThrow(`${dataFile}:${lines.length + 1}: corrupt journal line`);
    await expect(startServer({ dataFile })).rejects.toThrow('--repair');
    // Only a torn tail, without its newline, is what a crash leaves: dropped silently.
    await writeFile(dataFile, `${lines.join('\n')}\n{"op":"put","c":"assis`);
    const server = await startTestServer({ dataFile });
    expect(await names(server)).toEqual(['a', 'b', 'c']);
    await server.close();
  });

  test('repair drops the bad lines, keeps a backup of the journal and the uploads, and says so', async () => {
    const { lines, fileId } = await journalOfThree();
    const original = `${[lines[0], lines[1], 'garbage in the middle', ...lines.slice(2), '{"op":"del"}'].join('\n')}\n`;
    await writeFile(dataFile, original);
    const logged: string[] = [];
    const server = await startTestServer({ dataFile, repair: true, log: (line) => logged.push(line) });
    expect(await names(server)).toEqual(['a', 'b', 'c']);
    const content = await fetch(`${server.url}/files/${fileId}/content`, { headers: server.headers });
    expect(await content.text()).toBe('kept content');
    await server.close();

    const backups = (await readdir(join(dir, 'data'))).filter((name) => name.startsWith('server.jsonl.backup-'));
    expect(backups).toHaveLength(1);
    const backup = join(dir, 'data', backups[0] as string);
    expect(await readFile(join(backup, 'journal.jsonl'), 'utf8')).toBe(original);
    expect(await readFile(join(backup, 'blobs', fileId), 'utf8')).toBe('kept content');
    expect(await mode(backup)).toBe(0o700);
    expect(logged).toEqual([
      `assistants serve: repaired ${dataFile}: dropped 2 corrupt lines (3, ${lines.length + 2}); the original journal and uploads are kept in ${backup}`,
    ]);
    // Repaired for good: a plain start works.
    const plain = await startTestServer({ dataFile });
    expect(await names(plain)).toEqual(['a', 'b', 'c']);
    await plain.close();
  });

  test('repair of a sound journal changes nothing and keeps no backup', async () => {
    await journalOfThree();
    const logged: string[] = [];
    const server = await startTestServer({ dataFile, repair: true, log: (line) => logged.push(line) });
    expect(await names(server)).toEqual(['a', 'b', 'c']);
    await server.close();
    expect((await readdir(join(dir, 'data'))).some((name) => name.includes('backup'))).toBe(false);
    expect(logged).toEqual([`assistants serve: ${dataFile} needs no repair`]);
  });
});

test('a stray file or folder in the uploads folder does not stop the start, and is left alone', async () => {
  const { fileId } = await journalOfThree();
  const blobs = `${dataFile}.blobs`;
  await writeFile(join(blobs, '%zz'), 'not ours');
  await writeFile(join(blobs, '.DS_Store'), 'not ours');
  await mkdir(join(blobs, 'notes'));
  const server = await startTestServer({ dataFile });
  expect(await names(server)).toEqual(['a', 'b', 'c']);
  await server.close();
  expect((await readdir(blobs)).sort()).toEqual(['%zz', '.DS_Store', fileId, `${fileId}.text`, 'notes'].sort());
});
