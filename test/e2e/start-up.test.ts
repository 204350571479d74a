/**
 * What a command loads is most of its start-up (issue 18: `validate` within 1.5x of a bare
 * `node`, a plan's first request within 0.5 s). The built CLI is a few bundles
 * (scripts/bundle-cli.mjs): bundle.cjs holds what validate runs, bundle-*.cjs what only other
 * commands do, each read on the first require of one of its modules; in each, a module of ours
 * is a lazy initialiser named by its path in dist/, run on its first import. V8's coverage of a
 * run (NODE_V8_COVERAGE) tells which bundles were read and which modules ran, and which files of
 * node_modules were loaded; bundle-meta.json which bundle holds each module. The tests check
 * what a command never needs is not among them.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.js';
import { makeProject, runCli } from './cli.js';

const execFileAsync = promisify(execFile);

interface Coverage {
  result: Array<{ url: string; functions: Array<{ functionName: string; ranges: Array<{ count: number }> }> }>;
}

interface Metafile {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
}

/** Each module in the bundles ("dist/manifest/load.js", "node_modules/pg/lib/index.js") -> its bundle's file name. */
async function bundleOfModules(): Promise<Map<string, string>> {
  const meta = JSON.parse(await readFile(fileURLToPath(new URL('../../dist/cli/bundle-meta.json', import.meta.url)), 'utf8')) as Metafile;
  const bundleOf = new Map<string, string>();
  for (const [output, { inputs }] of Object.entries(meta.outputs)) {
    for (const input of Object.keys(inputs)) bundleOf.set(input, output.slice(output.lastIndexOf('/') + 1));
  }
  return bundleOf;
}

const MODULE = /^(dist|node_modules)\/.*\.c?js$/;

interface Loaded {
  code: number | null;
  stderr: string;
  /** The bundles read ("bundle.cjs", "bundle-commands.cjs"), sorted. */
  bundles: string[];
  /**
   * The modules in the bundles that ran: ours by their path in dist/ ("dist/manifest/load.js"),
   * the dependencies bundled with them by theirs ("node_modules/undici/lib/dispatcher/pool.js").
   */
  ran: string[];
  /** Those in the bundles that did not: in a bundle read, or in one never read. */
  notRun: string[];
  /** The files of node_modules that were loaded (their path from node_modules/). */
  packages: string[];
}

async function loadedBy(args: string[], files: Record<string, string>, env: Record<string, string> = {}): Promise<Loaded> {
  const dir = await makeProject(files);
  const coverage = join(dir, 'coverage');
  const result = await runCli(args, { cwd: dir, env: { ...env, NODE_V8_COVERAGE: coverage } });
  const bundles = new Set<string>();
  const ran = new Set<string>();
  const packages: string[] = [];
  for (const name of await readdir(coverage)) {
    for (const script of (JSON.parse(await readFile(join(coverage, name), 'utf8')) as Coverage).result) {
      const inPackage = /\/node_modules\/(.*)$/.exec(script.url);
      if (inPackage?.[1] !== undefined) packages.push(inPackage[1]);
      const bundle = /\/dist\/cli\/(bundle[a-z-]*\.cjs)$/.exec(script.url)?.[1];
      if (bundle === undefined) continue;
      bundles.add(bundle);
      for (const { functionName, ranges } of script.functions) {
        if (MODULE.test(functionName) && (ranges[0]?.count ?? 0) > 0) ran.add(functionName);
      }
    }
  }
  const modules = [...(await bundleOfModules()).keys()].filter((module) => MODULE.test(module));
  return { code: result.code, stderr: result.stderr, bundles: [...bundles].sort(), ran: [...ran], notRun: modules.filter((module) => !ran.has(module)), packages };
}

/**
 * Modules of the API client (and undici's pool under it, in the bundle), the server, the
 * planner, the forge clients and node-postgres (in the bundle too), and the yaml library,
 * which only a manifest the fast path cannot read needs.
 */
const NOT_FOR_VALIDATE = [
  'dist/api/transport.js',
  'dist/state/local-backend.js',
  'dist/conversation-tests/runner.js',
  'dist/schema-validators/state.validate.cjs',
  'dist/api/index.js',
  'node_modules/undici/lib/dispatcher/pool.js',
  'dist/server/index.js',
  'dist/plan/planner.js',
  'dist/forge/http.js',
  'dist/cli/session.js',
  'node_modules/pg/lib/index.js',
];

describe('start-up', () => {
  it('validate loads the manifest loader, never the HTTP client, the server, the planner, the forge clients or the yaml library', async () => {
    const { code, stderr, bundles, ran, notRun, packages } = await loadedBy(['validate'], {
      'assistants.yaml': 'version: 1\nproject: p\nassistants:\n  a:\n    model: gpt-4\n',
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(ran).toContain('dist/manifest/load.js');
    // Each is in a bundle, loaded on demand, and validate never asks for it...
    expect(NOT_FOR_VALIDATE.filter((module) => !notRun.includes(module))).toEqual([]);
    // ...nor even reads it: validate reads only the first bundle, and none of them is there.
    expect(bundles).toEqual(['bundle.cjs']);
    const bundleOf = await bundleOfModules();
    expect(NOT_FOR_VALIDATE.filter((module) => bundleOf.get(module) === 'bundle.cjs')).toEqual([]);
    expect(packages.filter((path) => /^(undici|yaml)\//.test(path))).toEqual([]);
  });

  it("plan sends through undici's connection pool alone, from the bundle, never loading its index (fetch, WebSocket, caches); apply still uploads", async () => {
    const server = await startTestServer();
    try {
      const files = { 'assistants.yaml': 'version: 1\nproject: p\nfiles:\n  faq:\n    path: faq.md\nassistants:\n  a:\n    model: gpt-4\n    tools: [{ type: retrieval }]\n    files: [faq]\n', 'faq.md': '# FAQ\n' };
      const env = { OPENAI_API_KEY: server.apiKey };
      const planned = await loadedBy(['plan', '--endpoint', server.url], files, env);
      expect({ code: planned.code, stderr: planned.stderr }).toEqual({ code: 0, stderr: '' });
      expect(planned.ran).toContain('dist/api/pool.js');
      // The commands' bundle beside the first; never the server's or node-postgres's.
      expect(planned.bundles).toEqual(['bundle-commands.cjs', 'bundle.cjs']);
      expect(planned.ran).toContain('node_modules/undici/lib/dispatcher/pool.js');
      // node-postgres is in the bundle, run only by a pg state backend or server store.
      expect(planned.notRun).toContain('node_modules/pg/lib/index.js');
      // So is undici's HTTP/2 client, which loads node:http2 and node:tls, run only on an h2 connection (never: the pool speaks HTTP/1.1).
      expect(planned.notRun).toContain('node_modules/undici/lib/dispatcher/client-h2.js');
      // Nothing of undici is read from node_modules but the HTTP parser's WebAssembly, once connected.
      expect(planned.packages.filter((path) => path.startsWith('undici/') && !/^undici\/lib\/llhttp\//.test(path))).toEqual([]);
      expect(planned.packages).not.toContain('undici/index.js');
      const applied = await loadedBy(['apply', '--auto-approve', '--endpoint', server.url], files, env);
      expect(applied.code, applied.stderr).toBe(0);
      expect(server.stats().objects.files).toBe(1);
    } finally {
      await server.close();
    }
  });

  it("every bundle's code cache is one V8 takes under the flags the executable compiles it under: bundle.cjs none, the others main.js's V8_FLAGS", async () => {
    const cli = fileURLToPath(new URL('../../dist/cli/', import.meta.url));
    const launcher = await readFile(join(cli, 'main.js'), 'utf8');
    const flags = /^const V8_FLAGS = '([^']*)';$/m.exec(launcher)?.[1];
    expect(flags).toBeDefined();
    const names = (await readdir(cli)).filter((name) => name.endsWith('.code-cache')).map((name) => name.slice(0, -'.code-cache'.length));
    expect(names).toContain('bundle');
    expect(names).toContain('bundle-commands');
    // Compiled as main.js compiles them, in one process: bundle.cjs first, then the flags, then the others.
    const check = [
      "const { readFileSync } = require('node:fs');",
      "const { Script } = require('node:vm');",
      `const rejected = (name) => new Script(readFileSync(${JSON.stringify(cli)} + name + '.cjs', 'latin1'), { cachedData: readFileSync(${JSON.stringify(cli)} + name + '.code-cache') }).cachedDataRejected;`,
      "const first = rejected('bundle') ? ['bundle'] : [];",
      `require('node:v8').setFlagsFromString(${JSON.stringify(flags)});`,
      `process.stdout.write(JSON.stringify([...first, ...${JSON.stringify(names)}.filter((name) => name !== 'bundle' && rejected(name))]));`,
    ].join('\n');
    const { stdout } = await execFileAsync(process.execPath, ['-e', check], { env: { ...process.env, NODE_OPTIONS: '' } });
    expect(JSON.parse(stdout)).toEqual([]);
  });
});
