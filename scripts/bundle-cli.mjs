// Part of `npm run build`, after tsc: the CLI users run is one CommonJS file with a V8 code
// cache, for start-up (issue 18: `validate` within 1.5x of a bare `node`).
//
// - dist/cli/bundle.cjs: tsc's dist/cli/main.js and every module of ours it imports, in one
//   file, with commander, undici's connection pool, node-postgres and the precompiled validators (the other
//   dependencies stay in node_modules). A command still runs only its own modules: the
//   dynamic imports of src/cli/run.ts become lazy initialisers, so validate never runs the HTTP
//   client or the server (test/e2e/start-up.test.ts). One file read instead of ~60 ESM modules
//   resolved, read and linked one by one.
// - dist/cli/bundle.code-cache: V8's compiled code for it, written after a training run of
//   `validate` (the code every command shares: commander, the program, the manifest loader), so
//   a run skips parsing and compiling what it finds there. (Trained on a plan as well, it is
//   ~60% larger and measured no faster to a plan's first request: what it saves in compiling
//   it spends in reading and deserializing.) V8 refuses a cache made by another
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
import { dirname, join, relative, sep } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const cli = join(dist, 'cli');
const bundle = join(cli, 'bundle.cjs');
const codeCache = join(cli, 'bundle.code-cache');
const undiciRoot = dirname(createRequire(import.meta.url).resolve('undici/package.json'));

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

/**
 * The validators scripts/build-validators.mjs precompiled (dist/manifest/*.validate.cjs,
 * dist/schema-validators/*.cjs) go into the bundle too, so they load from the code cache
 * instead of being compiled on each run (the manifest's is 155 KB). The code requires them by
 * path (schema-check.ts, schema-file.ts); the bundle puts each in require's cache under that
 * path first, its code run on the first require as from the file.
 */
async function precompiledValidators() {
  const files = [];
  for (const folder of ['manifest', 'schema-validators']) {
    for (const name of await readdir(join(dist, folder))) if (name.endsWith('.cjs')) files.push(join(dist, folder, name));
  }
  if (files.length === 0) throw new Error('no precompiled validators in dist/: scripts/build-validators.mjs runs before this');
  const entries = files.map((file) => `  [${JSON.stringify(relative(cli, file))}, () => require(${JSON.stringify(file)})],`);
  return `import Module from 'node:module';
import { join } from 'node:path';
for (const [path, load] of [
${entries.join('\n')}
]) {
  const filename = join(__dirname, path);
  const module = new Module(filename);
  module.filename = filename;
  module.loaded = true;
  Object.defineProperty(module, 'exports', { get: load });
  Module._cache[filename] = module;
}
`;
}

/**
 * pg-driver.js requires pg through createRequire(import.meta.url), which the ES module tsc
 * makes needs and esbuild does not follow; in the bundle it uses the bundle's own require, so
 * `require('pg')` is bundled and still runs only when loadPgDriver is first called.
 */
const pgDriver = {
  name: 'pg-driver',
  setup(build) {
    build.onLoad({ filter: /[\\/]dist[\\/]pg-driver\.js$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      const line = 'const require = createRequire(import.meta.url);';
      if (!source.includes(line)) throw new Error(`${path}: "${line}" not found; update scripts/bundle-cli.mjs`);
      return { contents: source.replace(line, ''), loader: 'js' };
    });
  },
};

/** The bundle's entry: the validators put in require's cache, then tsc's dist/cli/main.js. */
const entry = {
  name: 'entry',
  setup(build) {
    build.onResolve({ filter: /^(entry|precompiled-validators)$/ }, ({ path }) => ({ path, namespace: 'entry' }));
    build.onLoad({ filter: /^entry$/, namespace: 'entry' }, () => ({
      contents: `import 'precompiled-validators';\nimport ${JSON.stringify(join(cli, 'main.js'))};\n`,
      resolveDir: cli,
      loader: 'js',
    }));
    build.onLoad({ filter: /^precompiled-validators$/, namespace: 'entry' }, async () => ({ contents: await precompiledValidators(), resolveDir: cli, loader: 'js' }));
  },
};

/**
 * Dependencies stay in node_modules, loaded by require as before, except commander (every
 * command loads it), the parts of ajv the precompiled validators run (ajv/dist/runtime/*,
 * ajv-formats' formats), undici's connection pool (src/api/pool.ts: the modules a command
 * loads before its first request) and node-postgres with its dependencies (a pg state backend
 * loads it before its first request: 38 modules, ~33 ms from node_modules, ~17 ms as one
 * file; its optional pg-native and Cloudflare sockets stay out): these go into the bundle.
 */
const PG_PACKAGES = /\/node_modules\/(pg|pg-[^/]+|pgpass|postgres-[^/]+|split2|xtend)\//;
const dependencies = {
  name: 'dependencies',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, ({ path, importer }) => {
      if (path.startsWith('node:')) return undefined;
      const forValidators = /\.cjs$|\/node_modules\/ajv\/dist\/runtime\//.test(importer);
      const inPg = path === 'pg' || (PG_PACKAGES.test(importer) && path !== 'pg-native' && !path.startsWith('cloudflare:'));
      return path === 'commander' || path.startsWith('undici/lib/') || forValidators || inPg ? undefined : { path, external: true };
    });
    // What undici's pool requires only once connected or for bodies it never gets here (the
    // llhttp parser's WebAssembly, ~340 KB of base64; fetch's body and form-data code) stays
    // in node_modules, required by its path in the package.
    build.onResolve({ filter: /^\./ }, ({ path, resolveDir, importer }) => {
      if (!importer.includes('/node_modules/undici/lib/')) return undefined;
      const inPackage = relative(undiciRoot, join(resolveDir, path)).split(sep).join('/');
      return /^lib\/(web\/|llhttp\/.*wasm)/.test(inPackage) ? { path: `undici/${inPackage}`, external: true } : undefined;
    });
  },
};

const { metafile } = await build({
  entryPoints: ['entry'],
  outfile: bundle,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // import() of a module becomes its lazy initialiser, and of a dependency a require().
  supported: { 'dynamic-import': false },
  // Strict, as the ES modules it is made of were; first in main.js's function wrapper.
  banner: { js: `"use strict";\nconst __moduleUrl = (path) => new URL(path, require("node:url").pathToFileURL(__filename)).href;` },
  // Less to read at each start (names are kept: errors and stack traces read as before).
  minifyWhitespace: true,
  metafile: true,
  logLevel: 'warning',
  plugins: [entry, dependencies, pgDriver, moduleUrls, lazyChildProcess],
});

// main.js reads it as latin1, the same text as UTF-8 only while every byte is ASCII (esbuild
// escapes what is not, in its default charset).
if (/[^\x00-\x7f]/.test(await readFile(bundle, 'latin1'))) throw new Error(`${bundle} is not ASCII`);

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
