import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NotFoundError } from '../../src/index.js';
import { startHarness, type Harness } from './harness.js';
import { makeTempDir } from '../support/temp-dir.js';

let h: Harness;
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  h = await startHarness();
  ({ dir, cleanup } = await makeTempDir('assistants-files-'));
});
afterAll(async () => {
  await h.close();
  await cleanup();
});

describe('FilesApi', () => {
  test('uploads from a Buffer, a Uint8Array, a Blob and a path; downloads the same bytes', async () => {
    const bytes = Buffer.from('line one\nline two, ünïcödé\n');
    const path = join(dir, 'guide.md');
    await writeFile(path, bytes);

    const fromBuffer = await h.files.createFile({ file: bytes, filename: 'a.txt', purpose: 'assistants' });
    const fromArray = await h.files.createFile({ file: new Uint8Array(bytes), filename: 'b.txt', purpose: 'assistants' });
    const fromBlob = await h.files.createFile({ file: new Blob([bytes]), filename: 'c.txt', purpose: 'fine-tune' });
    const fromPath = await h.files.createFile({ filePath: path, purpose: 'assistants' });

    expect(fromBuffer).toEqual({
      id: expect.stringMatching(/^file-/),
      object: 'file',
      bytes: bytes.length,
      createdAt: expect.any(Number),
      filename: 'a.txt',
      purpose: 'assistants',
      status: expect.any(String),
      ...(fromBuffer.statusDetails === undefined ? {} : { statusDetails: fromBuffer.statusDetails }),
    });
    expect(fromArray.filename).toBe('b.txt');
    expect(fromBlob.purpose).toBe('fine-tune');
    expect(fromPath).toMatchObject({ filename: 'guide.md', bytes: bytes.length });

    for (const file of [fromBuffer, fromArray, fromBlob, fromPath]) {
      expect(Buffer.compare(await h.files.downloadFile({ fileId: file.id }), bytes)).toBe(0);
    }
  });

  test('lists with and without a purpose filter, retrieves and deletes', async () => {
    const file = await h.files.createFile({ file: Buffer.from('x'), filename: 'x.txt', purpose: 'assistants' });
    const all = await h.files.listFiles();
    expect(all.object).toBe('list');
    expect(all.data.map((f) => f.id)).toContain(file.id);
    const tuning = await h.files.listFiles({ purpose: 'fine-tune' });
    expect(tuning.data.every((f) => f.purpose === 'fine-tune')).toBe(true);
    expect(tuning.data.map((f) => f.id)).not.toContain(file.id);

    expect(await h.files.retrieveFile({ fileId: file.id })).toEqual(file);
    expect(await h.files.deleteFile({ fileId: file.id })).toEqual({ id: file.id, object: 'file', deleted: true });
    await expect(h.files.retrieveFile({ fileId: file.id })).rejects.toBeInstanceOf(NotFoundError);
  });
});
