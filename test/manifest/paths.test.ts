import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveIn } from '../../src/manifest/paths.js';

describe('resolveIn', () => {
  it('is path.resolve for every kind of relative and absolute path', () => {
    const raws = ['a.txt', 'docs/a.txt', './a', 'a/./b', 'a/../b', '../a', '..', '.', 'a//b', 'a/', '/etc/hosts', '.a', '..a', 'a/.b', 'a/..b', 'a\\b', 'a/b/..', 'a/.', ' a', 'a b/c'];
    for (const folder of ['/work/project', '/']) {
      for (const raw of raws) expect(resolveIn(folder, raw), `${folder} + ${raw}`).toBe(resolve(folder, raw));
    }
  });
});
