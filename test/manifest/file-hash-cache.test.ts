/**
 * The attached files' hash cache: an unchanged file is not read again, and a cache that is
 * stale (size, mtime or inode differ), too recent to trust, corrupt or unreadable is never
 * trusted over the file.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileHashCache, loadManifest } from '../../src/manifest/index.js';
import { folderWith } from './helpers.js';

const MANIFEST = `version: 1
project: cache
files:
  faq:
    path: docs/faq.md
assistants:
  support:
    model: gpt-4
    files: [faq]
`;
const CACHE = '.assistants/cache/file-hashes.json';
const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
/** A time well before the cache is written, so its entries can be trusted. */
const anHourAgo = (): Date => new Date(Date.now() - 3_600_000);

async function project(content: string): Promise<string> {
  const dir = await folderWith({ 'assistants.yaml': MANIFEST, 'docs/faq.md': content });
  // The cache is written where the manifest's .assistants/ already is.
  await mkdir(join(dir, '.assistants'), { mode: 0o700 });
  await utimes(join(dir, 'docs/faq.md'), anHourAgo(), anHourAgo());
  return dir;
}

async function hashOf(dir: string): Promise<string> {
  const result = await loadManifest({ file: 'assistants.yaml', cwd: dir, processEnv: {}, hashCache: FileHashCache.open(join(dir, CACHE)) });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.desired.files.faq!.sha256;
}

/** Rewrites the cached hash of every entry: what the loader reports then shows whether it trusted the cache. */
async function forgeCachedHash(dir: string, forged: string): Promise<void> {
  const cache = JSON.parse(await readFile(join(dir, CACHE), 'utf8')) as { files: Record<string, { sha256: string }> };
  for (const entry of Object.values(cache.files)) entry.sha256 = forged;
  await writeFile(join(dir, CACHE), JSON.stringify(cache));
  // The rewritten cache is as old as the one the loader wrote.
  await utimes(join(dir, CACHE), new Date(), new Date());
}

describe('the file-hash cache', () => {
  it('is written 0600 in a 0700 folder, and an unchanged file is then not read again', async () => {
    const dir = await project('# FAQ\n');
    expect(await hashOf(dir)).toBe(sha('# FAQ\n'));
    expect((await stat(join(dir, CACHE))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, '.assistants/cache'))).mode & 0o777).toBe(0o700);
    await forgeCachedHash(dir, 'f'.repeat(64));
    expect(await hashOf(dir)).toBe('f'.repeat(64));
  });

  it('hashes again a file whose content changed with its mtime, even at the same size', async () => {
    const dir = await project('# FAQ one\n');
    await hashOf(dir);
    await forgeCachedHash(dir, 'f'.repeat(64));
    await writeFile(join(dir, 'docs/faq.md'), '# FAQ two\n');
    const earlier = new Date(Date.now() - 7_200_000);
    await utimes(join(dir, 'docs/faq.md'), earlier, earlier);
    expect(await hashOf(dir)).toBe(sha('# FAQ two\n'));
  });

  it('hashes again a file replaced by another (a new inode) with the same size and mtime', async () => {
    const dir = await project('# FAQ one\n');
    const path = join(dir, 'docs/faq.md');
    const { mtime } = await stat(path);
    await hashOf(dir);
    await forgeCachedHash(dir, 'f'.repeat(64));
    await writeFile(join(dir, 'docs/new.md'), '# FAQ two\n');
    await utimes(join(dir, 'docs/new.md'), mtime, mtime);
    await rename(join(dir, 'docs/new.md'), path);
    expect(await hashOf(dir)).toBe(sha('# FAQ two\n'));
  });

  it('hashes again a file whose size changed', async () => {
    const dir = await project('# FAQ\n');
    const path = join(dir, 'docs/faq.md');
    const { mtime } = await stat(path);
    await hashOf(dir);
    await forgeCachedHash(dir, 'f'.repeat(64));
    await writeFile(path, '# FAQ, longer\n');
    await utimes(path, mtime, mtime);
    expect(await hashOf(dir)).toBe(sha('# FAQ, longer\n'));
  });

  it('does not trust an entry whose file is not older than the cache (it could change again within the same clock tick)', async () => {
    const dir = await project('# FAQ\n');
    const future = new Date(Date.now() + 3_600_000);
    await utimes(join(dir, 'docs/faq.md'), future, future);
    await hashOf(dir);
    await forgeCachedHash(dir, 'f'.repeat(64));
    expect(await hashOf(dir)).toBe(sha('# FAQ\n'));
  });

  it('ignores a corrupt cache silently and rewrites it', async () => {
    const corrupts = [
      '{not json',
      JSON.stringify({ version: 2, files: { x: { size: 'big' } } }),
      JSON.stringify({ version: 2, files: { x: { size: 6, mtimeMs: 'yesterday', ino: 1, sha256: 'f'.repeat(64) } } }),
      JSON.stringify({ version: 99, files: {} }),
      '[]',
    ];
    for (const corrupt of corrupts) {
      const dir = await project('# FAQ\n');
      await mkdir(join(dir, '.assistants/cache'), { recursive: true });
      await writeFile(join(dir, CACHE), corrupt);
      expect(await hashOf(dir)).toBe(sha('# FAQ\n'));
      const rewritten = JSON.parse(await readFile(join(dir, CACHE), 'utf8')) as { version: number; files: Record<string, { sha256: string }> };
      expect(rewritten.version).toBe(2);
      expect(Object.values(rewritten.files).map((e) => e.sha256)).toEqual([sha('# FAQ\n')]);
    }
  });

  it('does not trust a cache of the earlier format (times in nanoseconds, as text), and rewrites it', async () => {
    const dir = await project('# FAQ\n');
    const path = join(dir, 'docs/faq.md');
    const info = await stat(path, { bigint: true });
    await mkdir(join(dir, '.assistants/cache'), { recursive: true });
    const entry = { size: 6, mtimeNs: String(info.mtimeNs), ino: String(info.ino), sha256: 'f'.repeat(64) };
    await writeFile(join(dir, CACHE), JSON.stringify({ version: 1, files: { [path]: entry } }));
    expect(await hashOf(dir)).toBe(sha('# FAQ\n'));
    const rewritten = JSON.parse(await readFile(join(dir, CACHE), 'utf8')) as { version: number; files: Record<string, { sha256: string; mtimeMs: number }> };
    expect(rewritten.version).toBe(2);
    expect(rewritten.files[path]).toEqual({ size: 6, mtimeMs: (await stat(path)).mtimeMs, ino: Number(info.ino), sha256: sha('# FAQ\n') });
  });

  it('is not written where the manifest has no .assistants/ folder yet', async () => {
    const dir = await folderWith({ 'assistants.yaml': MANIFEST, 'docs/faq.md': '# FAQ\n' });
    expect(await hashOf(dir)).toBe(sha('# FAQ\n'));
    expect(await readdir(dir)).toEqual(['assistants.yaml', 'docs']);
  });

  it('loads as usual when the cache cannot be read or written (a folder in its place)', async () => {
    const dir = await project('# FAQ\n');
    await mkdir(join(dir, CACHE), { recursive: true });
    expect(await hashOf(dir)).toBe(sha('# FAQ\n'));
    expect((await stat(join(dir, CACHE))).isDirectory()).toBe(true);
  });
});
