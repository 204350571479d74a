/**
 * Installed as a user installs it: `npm pack` of this tree (the dist/ the suite built),
 * `npm install -g --prefix` of the tarball into a temporary prefix (its dependencies from
 * the local npm cache, else the registry), then the installed `assistants` runs
 * `--version` and the quickstart against the built-in local server.
 */
import { execFile } from 'node:child_process';
import { cp } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { makeTempDir } from '../support/temp-dir.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

it('the packed tarball installs into a prefix, holds only what runs, and runs the quickstart', { timeout: 300_000 }, async () => {
  const { dir } = await makeTempDir('assistants-install-');
  const npmEnv = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  // --ignore-scripts: the suite's dist/ is packed as it is; `prepare` would rebuild it under the running tests.
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, env: npmEnv });
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const paths = (info?.files ?? []).map((file) => file.path);
  // The bin, the bundles it runs, V8's code cache for each, and what makes dist/cli/ CommonJS.
  const bundles = ['bundle', 'bundle-commands', 'bundle-server', 'bundle-pg'].flatMap((name) => [`dist/cli/${name}.cjs`, `dist/cli/${name}.code-cache`]);
  for (const path of ['dist/cli/main.js', ...bundles, 'dist/cli/package.json', 'LICENSE']) expect(paths).toContain(path);
  expect(paths.filter((path) => !/^(dist\/.*\.(js|cjs|d\.ts)|dist\/cli\/(package\.json|bundle(-[a-z]+)?\.code-cache)|schemas\/[a-z-]+\.schema\.json|LICENSE|README\.md|package\.json)$/.test(path))).toEqual([]);

  const prefix = join(dir, 'prefix');
  await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--omit=dev', join(dir, info?.filename ?? '')], { cwd: dir, env: npmEnv });
  const bin = join(prefix, 'bin', 'assistants');

  const version = await run(bin, ['--version'], { cwd: dir });
  expect(version.stdout).toMatch(/^assistants \d+\.\d+\.\d+\nmanifest format 1\nstate format \d+\nplan format \d+\n$/);

  const project = join(dir, 'quickstart');
  await cp(join(ROOT, 'examples', 'quickstart'), project, { recursive: true, filter: (source) => !source.includes('.assistants') });
  const env = { ...process.env, CI: 'true', NO_COLOR: '1' };
  const applied = await run(bin, ['apply', '--endpoint', 'local', '--auto-approve'], { cwd: project, env });
  expect(applied.stdout).toContain('Apply complete');
  const again = await run(bin, ['plan', '--endpoint', 'local', '--detailed-exitcode'], { cwd: project, env });
  expect(again.stdout).toContain('No changes');
});
