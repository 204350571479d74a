/**
 * What a command may touch of the outside world. Commands write results to `stdout`
 * and everything else (progress, prompts, diagnostics) to `stderr`.
 */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** stdout is a terminal and CI is not set: prompts and cursor tricks allowed. */
  interactive: boolean;
  /** Colour on stdout: a TTY, and neither NO_COLOR nor CI set. */
  color: boolean;
  /** An exit code for main.ts to use once the command's promise settles. */
  exitCode: number;
}

export function processIo(): CliIo {
  const env = process.env;
  const ci = env.CI === 'true' || env.CI === '1';
  const tty = Boolean(process.stdout.isTTY);
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env,
    cwd: process.cwd(),
    interactive: tty && Boolean(process.stdin.isTTY) && !ci,
    color: tty && !ci && env.NO_COLOR === undefined,
    exitCode: 0,
  };
}
