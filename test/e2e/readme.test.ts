/**
 * The README's shell blocks: each is run here, as a user on a fresh clone would run it (in
 * a copy of this repository, without its node_modules, dist/ or state), or is marked
 * `<!-- not run: REASON -->` on the line before it.
 */
import { execFile } from 'node:child_process';
import { cp, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { makeTempDir } from '../support/temp-dir.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const LEFT_OUT = new Set(['node_modules', 'dist', '.git', '.assistants', 'bench-results']);

interface ShellBlock {
  line: number;
  code: string;
  notRun: string | null;
}

function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    if (!/^```(sh|bash|shell|console)\s*$/.test(lines[i] ?? '')) continue;
    const end = lines.findIndex((text, j) => j > i && text.startsWith('```'));
    const marker = /^<!-- not run: (.+) -->$/.exec(lines[i - 1] ?? '');
    blocks.push({ line: i + 1, code: lines.slice(i + 1, end).join('\n'), notRun: marker?.[1]?.trim() ?? null });
    i = end;
  }
  return blocks;
}

it("runs every shell block of the README that is not marked as not runnable, on a fresh copy of the repository", { timeout: 600_000 }, async () => {
  const blocks = shellBlocks(await readFile(join(ROOT, 'README.md'), 'utf8'));
  expect(blocks.length).toBeGreaterThan(3);
  for (const block of blocks.filter((b) => b.notRun !== null)) expect(block.notRun?.length, `README.md:${block.line}`).toBeGreaterThan(10);
  const runnable = blocks.filter((b) => b.notRun === null);
  expect(runnable.length).toBeGreaterThan(0);

  const { dir } = await makeTempDir('assistants-readme-');
  const clone = join(dir, 'assistants');
  await cp(ROOT, clone, { recursive: true, filter: (source) => !LEFT_OUT.has(basename(source)) });
  const env = { ...process.env, CI: 'true', NO_COLOR: '1', npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };
  for (const block of runnable) {
    const result = await run('sh', ['-e', '-c', block.code], { cwd: clone, env, maxBuffer: 64 * 1024 * 1024 }).catch((error: unknown) => {
      throw new Error(`README.md:${block.line}: the block failed: ${error instanceof Error ? error.message : String(error)}`);
    });
    expect(result.stdout, `README.md:${block.line}`).toBeDefined();
  }
  // The quickstart block applied the example: running plan again reports no changes, as the README says.
  const again = await run(process.execPath, ['dist/cli/main.js', 'plan', '-f', 'examples/quickstart/assistants.yaml', '--endpoint', 'local', '--detailed-exitcode'], { cwd: clone, env });
  expect(again.stdout).toContain('No changes');
});
