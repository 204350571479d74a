/**
 * Drives the built CLI (`dist/cli/main.js`, built by `npm test` before vitest runs) as a
 * user would: a child process with its own cwd and environment, no TTY, CI=true.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fakeIo } from '../support/fake-io.js';
import { makeTempDir } from '../support/temp-dir.js';

export const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli', 'main.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  input?: string;
}

export function startCli(args: readonly string[], options: CliRunOptions): { child: ChildProcess; result: Promise<CliResult> } {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, CI: 'true', NO_COLOR: '1', ...options.env })) if (v !== undefined) env[k] = v;
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin!.end(options.input ?? '');
  const result = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, result };
}

/**
 * The same command run inside the test's own process (src/cli/run.ts, which main.ts runs),
 * with the environment runCli gives a child: for the many runs of a file that prove what a
 * command does rather than how its process behaves (start-up, exit, signals, output
 * flushing), which each file keeps proving with runCli. A fraction of a process's cost.
 */
export async function runCliInProcess(args: readonly string[], options: CliRunOptions): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, CI: 'true', NO_COLOR: '1', ...options.env })) if (v !== undefined) env[k] = v;
  const io = fakeIo(options.cwd, env);
  io.stdin = new PassThrough().end(options.input ?? '');
  // Loaded on first use: files that only spawn the CLI do not pay for the program's modules.
  const { runCli: runProgram } = await import('../../src/cli/run.js');
  const code = await runProgram(args, io);
  return { code, signal: null, stdout: io.out(), stderr: io.err() };
}

/** The commands that talk to the API, and so take --endpoint (the others refuse it). */
const API_COMMANDS = new Set(['plan', 'apply', 'destroy', 'import', 'export', 'test', 'diff', 'state rm', 'state rebuild']);

/** `args` with `--endpoint ENDPOINT` added when the command takes it. */
export function withEndpoint(args: readonly string[], endpoint: string): string[] {
  const command = args[0] === 'state' ? `state ${args[1] ?? ''}` : (args[0] ?? '');
  return API_COMMANDS.has(command) ? [...args, '--endpoint', endpoint] : [...args];
}

export function runCli(args: readonly string[], options: CliRunOptions): Promise<CliResult> {
  return startCli(args, options).result;
}

/**
 * The CLI in a terminal: `script` (util-linux) gives it a pseudo-terminal, so it prompts as
 * for a person, and writing "\x03" to `child.stdin` is a Ctrl-C the terminal turns into a
 * SIGINT. stdout and stderr arrive together on `stdout`, with CRLF line ends.
 */
export function startCliInTerminal(args: readonly string[], options: CliRunOptions): { child: ChildProcess; result: Promise<CliResult> } {
  const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, CLI, ...args].map(quote).join(' ');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, CI: undefined, NO_COLOR: '1', ...options.env })) if (v !== undefined) env[k] = v;
  const child = spawn('script', ['--quiet', '--return', '--flush', '--command', command, '/dev/null'], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const result = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, result };
}

/** Resolves once `stream` has carried text matching `pattern`. */
export function waitForOutput(stream: NodeJS.ReadableStream, pattern: RegExp): Promise<string> {
  return new Promise((resolve) => {
    let seen = '';
    const onData = (chunk: Buffer | string): void => {
      seen += chunk.toString();
      if (!pattern.test(seen)) return;
      stream.off('data', onData);
      resolve(seen);
    };
    stream.on('data', onData);
  });
}

/** A fresh project folder holding the given files (paths relative to it), removed after the test file. */
export async function makeProject(files: Record<string, string>): Promise<string> {
  const { dir } = await makeTempDir('assistants-e2e-');
  await writeFiles(dir, files);
  return dir;
}

export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}
