/**
 * The local server in a child process (from the TypeScript sources), for tests that kill
 * it or run it under OS limits:
 *
 *   const child = await startChildServer({ dataFile }, { fileSizeLimitBytes: 24 * 1024 });
 *   await call(child.server, 'GET', '/assistants');
 *   child.stderr();          // what it logged so far
 *   await child.kill();      // SIGKILL, and waits for the exit
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import type { ServerOptions } from '../../src/server/index.js';
import { remoteServer, TEST_API_KEY, type TestServer } from '../support/server.js';

export interface ChildServer {
  server: TestServer;
  stderr(): string;
  kill(): Promise<void>;
}

export interface ChildLimits {
  /**
   * `ulimit -f` (a multiple of 512): no file it writes may grow beyond this many bytes;
   * a write past it fails with EFBIG, as on a full disk.
   */
  fileSizeLimitBytes?: number;
}

/** Must be called inside a test: the child is killed when the test ends, however it ends. */
export async function startChildServer(options: ServerOptions, limits: ChildLimits = {}): Promise<ChildServer> {
  const script = fileURLToPath(new URL('./fixtures/serve-child.mjs', import.meta.url));
  const args = [script, JSON.stringify({ port: 0, ...options })];
  const child =
    limits.fileSizeLimitBytes === undefined
      ? spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('sh', ['-c', `ulimit -f ${Math.floor(limits.fileSizeLimitBytes / 512)} && exec "$0" "$@"`, process.execPath, ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  // Also when the test fails or times out: a child left running would keep writing into the temp folder.
  onTestFinished(kill);
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', () => reject(new Error(`child exited before listening: ${stderr}`)));
  });
  const url = (JSON.parse(first) as { url: string }).url;
  const apiKey = options.apiKey ?? TEST_API_KEY;
  return {
    server: remoteServer(url, apiKey),
    stderr: () => stderr,
    kill,
  };
}
