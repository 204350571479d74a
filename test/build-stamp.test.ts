/**
 * scripts/build-stamp.mjs decides whether `npm test` builds: it must say "built" only for
 * the exact inputs the last build saw. Run on a copy of the script in a small fake project.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { makeTempDir } from './support/temp-dir.js';

const run = promisify(execFile);
const SCRIPT = resolve(import.meta.dirname, '../scripts/build-stamp.mjs');

async function check(root: string): Promise<number> {
  return run(process.execPath, [join(root, 'scripts/build-stamp.mjs'), '--check']).then(
    () => 0,
    (error: { code?: number }) => error.code ?? -1,
  );
}

it('the stamp matches only the inputs it was written for', async () => {
  const { dir: root } = await makeTempDir('assistants-stamp-');
  for (const folder of ['src/cli', 'scripts', 'schemas', 'dist']) await mkdir(join(root, folder), { recursive: true });
  await copyFile(SCRIPT, join(root, 'scripts/build-stamp.mjs'));
  for (const [name, text] of Object.entries({ 'package.json': '{}', 'package-lock.json': '{}', 'tsconfig.json': '{}', 'src/cli/a.ts': 'a', 'schemas/s.json': '{}' })) {
    await writeFile(join(root, name), text);
  }
  expect(await check(root)).toBe(1); // never built
  await run(process.execPath, [join(root, 'scripts/build-stamp.mjs')]);
  expect(await check(root)).toBe(0);

  await writeFile(join(root, 'src/cli/a.ts'), 'b');
  expect(await check(root)).toBe(1); // an edited source
  await writeFile(join(root, 'src/cli/a.ts'), 'a');
  expect(await check(root)).toBe(0);
  await writeFile(join(root, 'src/cli/b.ts'), '');
  expect(await check(root)).toBe(1); // a new source, even empty
  await rm(join(root, 'src/cli/b.ts'));
  await writeFile(join(root, 'package-lock.json'), '{"x":1}');
  expect(await check(root)).toBe(1); // another dependency
  await writeFile(join(root, 'package-lock.json'), '{}');
  await rm(join(root, 'dist'), { recursive: true });
  expect(await check(root)).toBe(1); // dist/ emptied by a build that failed
});
