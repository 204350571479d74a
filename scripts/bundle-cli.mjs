// Part of `npm run build`, after tsc: the CLI users run is a few CommonJS files with V8 code
// caches, for start-up (issue 18: `validate` within 1.5x of a bare `node`).
//
// - dist/cli/bundle.cjs: tsc's dist/cli/main.js and every module of ours validate imports, in
//   one file, with commander and the precompiled manifest validator. A command still runs only
//   its own modules: the dynamic imports of src/cli/run.ts become lazy initialisers, so validate
//   never runs the HTTP client or the server (test/e2e/start-up.test.ts). One file read instead
//   of ~60 ESM modules resolved, read and linked one by one.
// - dist/cli/bundle-*.cjs: what only other commands run (BUNDLES below: the other commands with
//   undici's connection pool, the server, node-postgres, the behaviour-test files' validator),
//   each read on the first import of one of its modules: validate reads ~0.36 MB instead of
//   ~1.5 MB (on this VM each MB read costs ~3-4 ms, most of it page faults on fresh memory). A
//   module is in one bundle only; the others take it from that bundle's table (main.js).
// - dist/cli/*.code-cache: V8's compiled code for each, written by a training run of
//   `validate` (the code every command shares: commander, the program, the manifest loader)
//   and one of `--help` (the other commands' modules as they load), so a run skips parsing and
//   compiling what it finds there. (Trained on a plan as well, one bundle's cache was ~60%
//   larger and measured no faster to a plan's first request: what it saves in compiling it
//   spends in reading and deserializing.)
//   V8 refuses a cache made by another Node or with other flags, and main.js then compiles as
//   without one.
// - dist/cli/main.js (the `assistants` bin): loads them. dist/cli/ holds only these (tsc's
//   output there is what the bundles hold) and a package.json making it CommonJS: an ESM entry
//   would cost Node's module loader (~10 ms) before the first line runs.
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
const undiciRoot = dirname(createRequire(import.meta.url).resolve('undici/package.json'));

/** `import.meta.url` in a module of dist/ becomes its URL in dist/, from the bundles' place (dist/cli/). */
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
 * A plugin that replaces one line of the file `filter` matches, and fails the build when the
 * line is not there (the dependency changed under it): the one place source is patched.
 */
function lineReplacement(name, filter, line, replacement) {
  return {
    name,
    setup(build) {
      build.onLoad({ filter }, async ({ path }) => {
        const source = await readFile(path, 'utf8');
        if (!source.includes(line)) throw new Error(`${path}: "${line}" not found; update scripts/bundle-cli.mjs`);
        return { contents: source.replace(line, replacement), loader: 'js' };
      });
    },
  };
}

/**
 * undici's client loads its HTTP/2 module when it is loaded, and with it node:http2 and
 * node:tls (~10 ms before a plan's first request). The pool (src/api/pool.ts) never allows h2,
 * so that module is loaded on a first HTTP/2 connection instead, which never comes.
 */
const lazyHttp2 = lineReplacement(
  'lazy-http2',
  /[\\/]node_modules[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client\.js$/,
  "const connectH2 = require('./client-h2.js')",
  "const connectH2 = (client, socket) => require('./client-h2.js')(client, socket)",
);

/** The validators scripts/build-validators.mjs precompiled (dist/manifest/*.validate.cjs, dist/schema-validators/*.cjs). */
async function precompiledValidatorFiles() {
  const files = [];
  for (const folder of ['manifest', 'schema-validators']) {
    for (const name of await readdir(join(dist, folder))) if (name.endsWith('.cjs')) files.push(join(dist, folder, name));
  }
  if (files.length === 0) throw new Error('no precompiled validators in dist/: scripts/build-validators.mjs runs before this');
  return files;
}

/**
 * The precompiled validators go into the bundles too, so they load from a code cache instead
 * of being compiled on each run (the manifest's is 155 KB). The code requires them by path
 * (schema-check.ts, schema-file.ts); the first bundle puts each in require's cache under that
 * path first, its code run on the first require as from the file (from the bundle that holds
 * it: a require the split plugin routes like any other).
 */
function precompiledValidators(files) {
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
const pgDriver = lineReplacement('pg-driver', /[\\/]dist[\\/]pg-driver\.js$/, 'const require = createRequire(import.meta.url);', '');

/**
 * Dependencies stay in node_modules, loaded by require as before, except commander (every
 * command loads it), the parts of ajv the precompiled validators run (ajv/dist/runtime/*,
 * ajv-formats' formats), undici's connection pool (src/api/pool.ts: the modules a command
 * loads before its first request) and node-postgres with its dependencies (a pg state backend
 * loads it before its first request: 38 modules, ~33 ms from node_modules, ~17 ms as one
 * file; its optional pg-native and Cloudflare sockets stay out): these go into the bundles.
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

const root = fileURLToPath(new URL('../', import.meta.url));
/** A module's name in the bundles and their tables: its path from the project's root ("dist/errors.js"). */
const keyOf = (path) => relative(root, path).split(sep).join('/');
const validatorFiles = await precompiledValidatorFiles();
const commandModules = (await readdir(join(cli, 'commands'))).filter((name) => name.endsWith('.js')).map((name) => join(cli, 'commands', name));
const isCommand = (...names) => (path) => names.includes(path.slice(path.lastIndexOf(sep) + 1));

/**
 * The bundles, in order: a module is in the first one that reaches it, a bundle's roots
 * (its modules the earlier ones load) reached from an earlier one only through import() or
 * require(), so loading one never loads a later one. `bundle` is what validate runs, and what
 * everything shares; a command that needs more loads the next on its first import of a root:
 * - bundle-tests: the validator of behaviour-test files (*.test.yaml beside the manifest; the
 *   manifest's own tests: are checked with the manifest's), for a manifest that has them;
 * - bundle-commands: the other commands (the HTTP client and undici's pool, state, planner,
 *   renderers, behaviour tests) and the validators of the state and plan formats;
 * - bundle-server: `serve` and the server that `--endpoint local` starts;
 * - bundle-pg: node-postgres, for a pg state backend or `serve --database`.
 */
const BUNDLES = [
  { name: 'bundle', roots: [] },
  { name: 'bundle-tests', roots: validatorFiles.filter((file) => file.endsWith(`${sep}tests-schema.validate.cjs`)) },
  {
    name: 'bundle-commands',
    roots: [...commandModules.filter((path) => !isCommand('validate.js', 'version.js', 'serve.js')(path)), ...validatorFiles.filter((file) => file.includes(`${sep}schema-validators${sep}`))],
  },
  { name: 'bundle-server', roots: [...commandModules.filter(isCommand('serve.js')), join(dist, 'server', 'index.js')] },
  { name: 'bundle-pg', roots: [createRequire(import.meta.url).resolve('pg')] },
];
for (const { name, roots } of BUNDLES.slice(1)) if (roots.length === 0) throw new Error(`${name}: no roots found; update BUNDLES in scripts/bundle-cli.mjs`);
const rootOf = new Map(BUNDLES.flatMap(({ roots }, index) => roots.map((path) => [path, index])));
const SKIP = Symbol('resolving');

/**
 * Builds bundle `index`. A module of an earlier bundle (`owners`) is taken from that bundle's
 * table, so each is in one bundle only (one UserError class, one state of each module); a root
 * of a later one is loaded from it on first use. Both become requires of "./NAME.cjs#KEY",
 * which main.js resolves. `exposed`: the keys this bundle's table gives the others.
 */
async function bundleBuild(index, owners, exposed, write) {
  const { name } = BUNDLES[index];
  const taken = BUNDLES.map(() => new Set());
  const fromBundle = (other, path) => {
    taken[other].add(keyOf(path));
    return { path: `./${BUNDLES[other].name}.cjs#${keyOf(path)}`, external: true };
  };
  const split = {
    name: 'split',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async ({ path, kind, importer, resolveDir, namespace, pluginData }) => {
        if (pluginData === SKIP) return undefined;
        const result = await build.resolve(path, { kind, importer, resolveDir, namespace, pluginData: SKIP });
        if (result.errors.length > 0 || result.external || result.namespace !== 'file') return result;
        const later = rootOf.get(result.path);
        if (later !== undefined && later > index) {
          if (kind !== 'dynamic-import' && kind !== 'require-call') {
            throw new Error(`${importer} imports ${keyOf(result.path)} statically, which would load ${BUNDLES[later].name} with ${name}: use import()`);
          }
          return fromBundle(later, result.path);
        }
        const owner = owners.get(result.path);
        if (owner !== undefined && owner < index) return fromBundle(owner, result.path);
        return result;
      });
    },
  };
  const table = [...exposed].map((key) => `  ${JSON.stringify(key)}: () => require(${JSON.stringify(join(root, key))}),`);
  const modules = {
    name: 'entry',
    setup(build) {
      build.onResolve({ filter: /^(entry|exposed|precompiled-validators)$/ }, ({ path }) => ({ path, namespace: 'entry' }));
      // The table first (the others ask for it only later, but it is there before main runs).
      const entry = index === 0 ? `export { modules } from 'exposed';\nimport 'precompiled-validators';\nimport ${JSON.stringify(join(cli, 'main.js'))};\n` : `export { modules } from 'exposed';\n`;
      build.onLoad({ filter: /^entry$/, namespace: 'entry' }, () => ({ contents: entry, resolveDir: cli, loader: 'js' }));
      build.onLoad({ filter: /^exposed$/, namespace: 'entry' }, () => ({ contents: `export const modules = {\n${table.join('\n')}\n};\n`, resolveDir: cli, loader: 'js' }));
      build.onLoad({ filter: /^precompiled-validators$/, namespace: 'entry' }, () => ({
        contents: precompiledValidators(validatorFiles),
        resolveDir: cli,
        loader: 'js',
      }));
    },
  };
  const { metafile } = await build({
    entryPoints: ['entry'],
    outfile: join(cli, `${name}.cjs`),
    absWorkingDir: root,
    write,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // import() of a module becomes its lazy initialiser, and of a dependency a require().
    supported: { 'dynamic-import': false },
    // The function wrapper Node gives a CommonJS module, on the first line as Node puts it
    // (main.js runs it with vm.Script); strict, as the ES modules it is made of were.
    banner: { js: `(function (exports, require, module, __filename, __dirname) {"use strict";\nconst __moduleUrl = (path) => new URL(path, require("node:url").pathToFileURL(__filename)).href;` },
    footer: { js: '})' },
    // Less to read at each start (names are kept: errors and stack traces read as before).
    minifyWhitespace: true,
    metafile: true,
    logLevel: 'warning',
    plugins: [split, modules, dependencies, pgDriver, moduleUrls, lazyChildProcess, lazyHttp2],
  });
  const inputs = Object.keys(metafile.inputs).filter((input) => !input.includes(':')).map((input) => join(root, input));
  return { metafile, inputs, taken };
}

// First which bundle holds each module, then each built with a table of what the others take from it.
const owners = new Map();
const exposed = BUNDLES.map(({ roots }) => new Set(roots.map(keyOf)));
for (let index = 0; index < BUNDLES.length; index++) {
  const { inputs, taken } = await bundleBuild(index, owners, exposed[index], false);
  for (const path of inputs) owners.set(path, index);
  taken.forEach((keys, other) => keys.forEach((key) => exposed[other].add(key)));
}
const metafiles = [];
for (let index = 0; index < BUNDLES.length; index++) {
  const { metafile, inputs } = await bundleBuild(index, owners, exposed[index], true);
  const moved = inputs.filter((path) => owners.get(path) !== index);
  if (moved.length > 0) throw new Error(`${BUNDLES[index].name}: ${moved.map(keyOf).join(', ')} belong to another bundle`);
  metafiles.push(metafile);
}

// main.js reads them as latin1, the same text as UTF-8 only while every byte is ASCII (esbuild
// escapes what is not, in its default charset).
for (const { name } of BUNDLES) {
  if (/[^\x00-\x7f]/.test(await readFile(join(cli, `${name}.cjs`), 'latin1'))) throw new Error(`${name}.cjs is not ASCII`);
}

// tsc's CLI modules are in the bundles now; what stays in dist/cli/ is what runs.
const bundleFiles = new Set(BUNDLES.map(({ name }) => `${name}.cjs`));
for (const entry of await readdir(cli)) {
  if (!bundleFiles.has(entry)) await rm(join(cli, entry), { recursive: true });
}
await writeFile(join(cli, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
await writeFile(join(cli, 'main.js'), await readFile(new URL('./cli-main.cjs', import.meta.url), 'utf8'), { mode: 0o755 });
// Which source modules each bundle holds: one metafile of all (outputs by bundle); test/e2e/start-up.test.ts reads it (not packed).
const meta = { inputs: Object.assign({}, ...metafiles.map((m) => m.inputs)), outputs: Object.assign({}, ...metafiles.map((m) => m.outputs)) };
await writeFile(join(cli, 'bundle-meta.json'), JSON.stringify(meta));

// The training runs, whose compiled code main.js writes at exit: validate of the quickstart for
// the first bundle; `--help`, which loads every command's module, for the others (their top
// level and what each command runs first; the bundles it does not load as compiled before they
// run). Trained on --help, `plan --help` ran ~1% fewer instructions (valgrind) than with the
// others' top level alone, as many as with one bundle trained on validate.
const training = [
  [['validate', '-f', fileURLToPath(new URL('../examples/quickstart/assistants.yaml', import.meta.url))], BUNDLES.slice(0, 1)],
  [['--help'], BUNDLES.slice(1)],
];
for (const [args, bundles] of training) {
  const run = spawnSync(process.execPath, [join(cli, 'main.js'), ...args], {
    // No NODE_OPTIONS: V8 takes the cache only under the flags it was made with.
    env: { ...process.env, NODE_OPTIONS: '', ASSISTANTS_WRITE_CODE_CACHE: bundles.map(({ name }) => name).join(',') },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`the code cache's training run (${args.join(' ')}) failed: ${run.stderr}`);
}
