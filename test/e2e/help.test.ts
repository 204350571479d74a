/**
 * `--help` of every command, snapshotted (test/e2e/help/*.txt): a change to what a command
 * takes or says shows in review. Each teaches: its own options first, then the common
 * ones; a paragraph, examples, environment variables and exit codes; no meaningless defaults.
 * The snapshots are taken in-process; a few commands' help is also printed by the built
 * CLI, which must print the very same text.
 */
import { describe, expect, it } from 'vitest';
import { makeProject, runCli, runCliInProcess } from './cli.js';

const COMMANDS = [
  [],
  ['validate'],
  ['plan'],
  ['apply'],
  ['destroy'],
  ['test'],
  ['diff'],
  ['import'],
  ['export'],
  ['state'],
  ['state', 'list'],
  ['state', 'show'],
  ['state', 'rm'],
  ['state', 'rebuild'],
  ['state', 'history'],
  ['state', 'rollback'],
  ['state', 'push'],
  ['state', 'pull'],
  ['state', 'mv'],
  ['show'],
  ['output'],
  ['fmt'],
  ['force-unlock'],
  ['serve'],
  ['version'],
];

describe('--help', () => {
  it.each(COMMANDS.map((path) => [path.join(' ') || '(the program)', path] as const))('%s', async (_name, path) => {
    const dir = await makeProject({});
    const result = await runCliInProcess([...path, '--help'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const help = result.stdout;
    await expect(help).toMatchFileSnapshot(`help/${path.join('-') || 'assistants'}.txt`);
    expect(help).not.toMatch(/\(default: (\{\}|\[\])\)/);
    if (path.length === 0) {
      expect(help.indexOf('Main Commands:')).toBeLessThan(help.indexOf('Other Commands:'));
      return;
    }
    if (path.join(' ') === 'state') return;
    expect(help).toContain('Examples:\n  $ assistants ');
    expect(help).toMatch(/Exit codes:\n {2}0 +success/);
    expect(help).toContain('Environment:\n');
    const own = help.search(/^Options:/m);
    const common = help.search(/^Common Options:/m);
    if (own >= 0 && common >= 0) expect(own).toBeLessThan(common);
  });

  it.each([{ path: [] }, { path: ['apply'] }, { path: ['state', 'rm'] }])('the built CLI prints the same help for $path', async ({ path }) => {
    const dir = await makeProject({});
    const [real, inProcess] = [await runCli([...path, '--help'], { cwd: dir }), await runCliInProcess([...path, '--help'], { cwd: dir })];
    expect(real).toEqual(inProcess);
    expect(real.stdout).toContain('Usage: assistants ');
  });

  it('the main commands are listed apart from the rest', async () => {
    const dir = await makeProject({});
    const { stdout } = await runCliInProcess(['--help'], { cwd: dir });
    const main = stdout.slice(stdout.indexOf('Main Commands:'), stdout.indexOf('Other Commands:'));
    expect([...main.matchAll(/^ {2}([a-z-]+)/gm)].map((m) => m[1])).toEqual(['validate', 'plan', 'apply', 'destroy', 'test']);
  });
});
