/**
 * The `assistants` program: commands registered, errors turned into text and exit codes.
 * `main.ts` runs it; tests call runCli directly with their own io.
 */
import { Command, CommanderError } from 'commander';
import { APIError } from '../api/errors.js';
import { exitCodeFor, UserError } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import type { CliIo } from './io.js';
import { register as registerApply } from './commands/apply.js';
import { register as registerDestroy } from './commands/destroy.js';
import { register as registerForceUnlock } from './commands/force-unlock.js';
import { register as registerImport } from './commands/import.js';
import { register as registerPlan } from './commands/plan.js';
import { register as registerServe } from './commands/serve.js';
import { register as registerState } from './commands/state.js';
import { register as registerStateRebuild } from './commands/state-rebuild.js';
import { register as registerValidate } from './commands/validate.js';

export function buildProgram(io: CliIo): Command {
  const program = new Command('assistants')
    .description('Infrastructure as code for the OpenAI Assistants API: validate, plan, apply, destroy, serve.')
    .version(TOOL_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  for (const register of [
    registerValidate,
    registerPlan,
    registerApply,
    registerDestroy,
    registerImport,
    registerState,
    registerStateRebuild,
    registerForceUnlock,
    registerServe,
  ]) {
    register(program, io);
  }
  return program;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return io.exitCode;
  } catch (error) {
    return reportError(error, io, argv.includes('--debug'));
  }
}

function reportError(error: unknown, io: CliIo, debug: boolean): number {
  const secret = io.env.OPENAI_API_KEY;
  const scrub = (text: string): string => (secret && secret.length >= 4 ? text.split(secret).join('[redacted]') : text);
  const write = (text: string): void => void io.stderr.write(`${scrub(text)}\n`);
  if (error instanceof CommanderError) {
    // Commander has already printed its message (or the help / version).
    return error.exitCode === 0 ? 0 : 1;
  }
  if (error instanceof UserError) {
    write(`Error: ${error.message}`);
    for (const line of error.details) write(line);
    return exitCodeFor(error);
  }
  if (error instanceof APIError) {
    write(`Error: ${error.message}`);
    if (debug && error.stack) write(error.stack);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  write(`Error: unexpected failure: ${message}${debug ? '' : ' (run again with --debug for details)'}`);
  if (debug && error instanceof Error && error.stack) write(error.stack);
  return 1;
}

