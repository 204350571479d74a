import { Interrupts } from './interrupts.js';

/** How much the CLI logs on stderr beyond its messages: `debug` adds a line per API request. */
export type LogLevel = 'off' | 'debug';

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
  /** Ctrl-C and SIGTERM (see interrupts.ts). */
  interrupts: Interrupts;
  /** false with `--input=false`: never prompt; what would ask fails instead. */
  input?: boolean;
  /** `--log-level debug` (or ASSISTANTS_LOG=debug): one line per API request on stderr. */
  logLevel?: LogLevel;
  /** `--debug`: stack traces of unexpected errors, and the local server's request lines. */
  debug?: boolean;
  /** An exit code for main.ts to use once the command's promise settles. */
  exitCode: number;
}

export interface ProcessIo extends CliIo {
  /** Why writing the output failed (not a reader going away), or null. */
  outputFailure(): string | null;
}

export function processIo(): ProcessIo {
  const env = process.env;
  const ci = env.CI === 'true' || env.CI === '1';
  const tty = Boolean(process.stdout.isTTY);
  const interrupts = new Interrupts();
  process.on('SIGINT', () => interrupts.interrupt());
  process.on('SIGTERM', () => interrupts.interrupt());
  // A reader that went away (`plan | head -1`) is no reason to stop: what is left to say is
  // dropped, the command finishes (an apply records everything it does) and exits as it would.
  // Any other failure to write (a full disk under `> plan.json`) must not pass for success.
  let failure: string | null = null;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') failure ??= error.code ?? error.message;
    });
  }
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // Made on first use: Node builds process.stdin (a file, pipe or terminal stream, and the
    // stream modules under it) when it is first read, which most commands never do.
    get stdin() {
      return process.stdin;
    },
    env,
    cwd: process.cwd(),
    interactive: tty && Boolean(process.stdin.isTTY) && !ci,
    color: tty && !ci && env.NO_COLOR === undefined,
    interrupts,
    exitCode: 0,
    outputFailure: () => failure,
  };
}
