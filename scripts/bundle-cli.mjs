// Part of `npm run build`, after tsc: the CLI users run is one CommonJS file with a V8 code
// cache, for start-up (issue 18: `validate` within 1.5x of a bare `node`).
//
// - dist/cli/bundle.cjs: tsc's dist/cli/main.js and every module of ours it imports, in one
//   file, with commander (the other dependencies stay in node_modules). A command still runs only its own modules: the
//   dynamic imports of src/cli/run.ts become lazy initialisers, so validate never runs the HTTP
//   client or the server (test/e2e/start-up.test.ts). One file read instead of ~60 ESM modules
//   resolved, read and linked one by one.
// - dist/cli/bundle.code-cache: V8's compiled code for it, written after a training run of
//   `validate` (the code every command shares: commander, the program, the manifest loader), so
//   a run skips parsing and compiling what it finds there. V8 refuses a cache made by another
//   Node or with other flags, and main.js then compiles as without one.
// - dist/cli/main.js (the `assistants` bin): loads the two. dist/cli/ holds only these
//   (tsc's output there is what the bundle holds) and a package.json making it CommonJS: an ESM
//   entry would cost Node's module loader (~10 ms) before the first line runs.
//
// Every module keeps its own import.meta.url: a path a module computes from it (../package.json,
// ../schemas/*.json, ./schema-validators/*.cjs, a createRequire) resolves from the module's place
// in tsc's dist/, not from the bundle's.
import { spawnSync } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const cli = join(dist, 'cli');
const bundle = join(cli, 'bundle.cjs');
const codeCache = join(cli, 'bundle.code-cache');

/** `import.meta.url` in a module of dist/ becomes its URL in dist/, from the bundle's place (dist/cli/). */
const moduleUrls = {
  name: 'module-urls',
  setup(build) {
    build.onLoad({ filter: /\/dist\/.*\.js$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      const url = `__moduleUrl(${JSON.stringify(relative(cli, path))})`;
      // main.js's hashbang is main.js's alone (the bundle is wrapped in a function).
      const contents = source.replace(/^#!.*\n/, '').replaceAll('import.meta.url', url);
      if (contents.includes('import.meta')) throw new Error(`${path}: only import.meta.url is given its place in dist/`);
      return { contents, loader: 'js' };
    });
  },
};

/**
 * commander is bundled too (every command loads it). Its only use of node:child_process is
 * running an executable subcommand, which this program has none of, so the module loads when
 * first used instead of with commander (~5 ms: child_process, net, dgram).
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(build) {
    build.onResolve({ filter: /^node:child_process$/ }, ({ importer }) =>
      importer.includes('/node_modules/commander/') ? { path: 'lazy-child-process', namespace: 'lazy' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents: 'module.exports = new Proxy({}, { get: (_, name) => require("node:child_process")[name] });',
      loader: 'js',
    }));
  },
};

const { dependencies } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
const external = Object.keys(dependencies).filter((name) => name !== 'commander').flatMap((name) => [name, `${name}/*`]);

const { metafile } = await build({
  entryPoints: [join(cli, 'main.js')],
  outfile: bundle,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external,
  // import() of a module becomes its lazy initialiser, and of a dependency a require().
  supported: { 'dynamic-import': false },
  // Strict, as the ES modules it is made of were; first in main.js's function wrapper.
  banner: { js: `"use strict";\nconst __moduleUrl = (path) => new URL(path, require("node:url").pathToFileURL(__filename)).href;` },
  metafile: true,
  logLevel: 'warning',
  plugins: [moduleUrls, lazyChildProcess],
});

// tsc's CLI modules are in the bundle now; what stays in dist/cli/ is what runs.
for (const entry of await readdir(cli)) {
  if (entry !== 'bundle.cjs') await rm(join(cli, entry), { recursive: true });
}
await writeFile(join(cli, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
await writeFile(join(cli, 'main.js'), await readFile(new URL('./cli-main.cjs', import.meta.url), 'utf8'), { mode: 0o755 });
// Which source modules the bundle holds, and where: test/e2e/start-up.test.ts reads it (not packed).
await writeFile(join(cli, 'bundle-meta.json'), JSON.stringify(metafile));

// The training run: validate of the quickstart, whose compiled code main.js writes at exit.
const training = spawnSync(process.execPath, [join(cli, 'main.js'), 'validate', '-f', fileURLToPath(new URL('../examples/quickstart/assistants.yaml', import.meta.url))], {
  // No NODE_OPTIONS: V8 takes the cache only under the flags it was made with.
  env: { ...process.env, NODE_OPTIONS: "", ASSISTANTS_WRITE_CODE_CACHE: codeCache },
  encoding: 'utf8',
});
if (training.status !== 0) throw new Error(`the code cache's training run failed: ${training.stderr}`);
