// What dist/ was built from: a hash of every input of `npm run build` (src/, scripts/,
// schemas/, package.json, package-lock.json, tsconfig.json) and the Node version (the CLI's
// code cache is V8's). The build writes it last; `npm test` runs `--check` first and builds
// only when it fails, so CI's `npm ci` (whose prepare builds) and `npm test` do not compile
// the same sources twice (~15 s). A build that fails leaves no stamp: clean-dist empties dist/.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = join(root, 'dist', '.build-inputs');

function inputs() {
  const files = ['package.json', 'package-lock.json', 'tsconfig.json'].map((name) => join(root, name));
  for (const folder of ['src', 'scripts', 'schemas']) {
    for (const entry of readdirSync(join(root, folder), { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) files.push(join(entry.parentPath, entry.name));
    }
  }
  return files.map((file) => relative(root, file).split('\\').join('/')).sort();
}

function inputHash() {
  const hash = createHash('sha256').update(`node ${process.version}\0`);
  for (const file of inputs()) hash.update(`${file}\0`).update(readFileSync(join(root, file))).update('\0');
  return hash.digest('hex');
}

if (process.argv.includes('--check')) {
  let built = '';
  try {
    built = readFileSync(stamp, 'utf8').trim();
  } catch {
    // No stamp: never built, or a build that did not finish.
  }
  process.exit(built === inputHash() ? 0 : 1);
}
writeFileSync(stamp, `${inputHash()}\n`);
