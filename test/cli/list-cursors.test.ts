/**
 * The listing cursors' cache (src/cli/list-cursors.ts) on a real folder: one entry per
 * listing (endpoint, organization, project), bounded, written only where `.assistants/`
 * is, and not rewritten when nothing changed; deletes drop their ids.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ListCursors, type ListingKey } from '../../src/cli/list-cursors.js';
import { makeTempDir } from '../support/temp-dir.js';

const key = (endpoint: string, organization: string | null = null, project: string | null = null): ListingKey => ({ endpoint, organization, project });
const listing = (count: number, prefix = 'asst_'): Array<{ id: string }> => Array.from({ length: count }, (_, i) => ({ id: `${prefix}${i}` }));

async function project(): Promise<{ dir: string; path: string }> {
  const { dir } = await makeTempDir();
  await mkdir(join(dir, '.assistants'), { mode: 0o700 });
  return { dir, path: join(dir, '.assistants', 'cache', 'list-cursors.json') };
}

describe('the listing cursors cache', () => {
  it('keeps one entry per endpoint, organization and project, the latest first, at most 8', async () => {
    const { path } = await project();
    for (let i = 0; i < 10; i++) {
      const cache = ListCursors.at(path, key(`https://api${i}.example/v1`));
      expect(await cache.hints()).toEqual([]);
      cache.listed(listing(250, `asst_${i}_`));
      await cache.save();
    }
    const scoped = ListCursors.at(path, key('https://api9.example/v1', 'org-1', 'proj-1'));
    expect(await scoped.hints()).toEqual([]);
    expect(await ListCursors.at(path, key('https://api9.example/v1')).hints()).toEqual(['asst_9_99', 'asst_9_199']);
    expect(await ListCursors.at(path, key('https://api1.example/v1')).hints()).toEqual([]);
    const file = JSON.parse(await readFile(path, 'utf8')) as { listings: ListingKey[] };
    expect(file.listings.map((l) => l.endpoint)).toEqual([9, 8, 7, 6, 5, 4, 3, 2].map((i) => `https://api${i}.example/v1`));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('is written only where .assistants/ is, and not again when the listing left the same cursors', async () => {
    const { dir } = await makeTempDir();
    const nowhere = ListCursors.at(join(dir, '.assistants', 'cache', 'list-cursors.json'), key('local'));
    nowhere.listed(listing(300));
    await nowhere.save();
    await expect(stat(join(dir, '.assistants'))).rejects.toThrow(/ENOENT/);

    const { path } = await project();
    const first = ListCursors.at(path, key('local'));
    first.listed(listing(300));
    await first.save();
    const written = (await stat(path, { bigint: true })).mtimeNs;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const same = ListCursors.at(path, key('local'));
    expect(await same.hints()).toEqual(['asst_99', 'asst_199']);
    same.listed(listing(300));
    await same.save();
    expect((await stat(path, { bigint: true })).mtimeNs).toBe(written);
  });

  it('drops deleted ids: from this run\'s listing before its cursors are taken, else from the hints read', async () => {
    const { path } = await project();
    const run = ListCursors.at(path, key('local'));
    await run.hints();
    run.listed(listing(300));
    await run.forget(['asst_99', 'asst_5']);
    await run.save();
    expect(await ListCursors.at(path, key('local')).hints()).toEqual(['asst_101', 'asst_201']);

    const saved = ListCursors.at(path, key('local'));
    await saved.forget(['asst_201', 'asst_nope']);
    await saved.save();
    expect(await ListCursors.at(path, key('local')).hints()).toEqual(['asst_101']);
  });

  it('ignores a file it cannot use, and rewrites it at its next save', async () => {
    const { path } = await project();
    await mkdir(join(path, '..'), { mode: 0o700 });
    for (const text of ['[]', '{"version":1,"list":"GET /assistants?order=asc","listings":[{"endpoint":"local","organization":null,"project":null,"cursors":[7]}]}']) {
      await writeFile(path, text);
      const cache = ListCursors.at(path, key('local'));
      expect(await cache.hints()).toEqual([]);
      await cache.save();
      expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 1, list: 'GET /assistants?order=asc', listings: [] });
    }
  });
});
