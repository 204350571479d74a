/**
 * The `assistants` program: commands registered, errors turned into text and exit codes.
 * `main.ts` runs it; tests call runCli directly with their own io.
 */
import { Command, CommanderError } from 'commander';
import { APIError, APIUserAbortError } from '../api/errors.js';
import { exitCodeFor, UserError } from '../errors.js';
import { connectionSecrets } from '../pg-connection.js';
import { TOOL_VERSION } from '../version.js';
import type { CliIo } from './io.js';

type Register = (program: Command, io: CliIo) => void;

/**
 * Command modules by command name, loaded on demand: a command pulls in only what it
 * uses (validate never loads the HTTP client or the server), which keeps start-up short.
 */
const COMMANDS: Record<string, () => Promise<Register[]>> = {
  validate: async () => [(await import('./commands/validate.js')).register],
  plan: async () => [(await import('./commands/plan.js')).register],
  apply: async () => [(await import('./commands/apply.js')).register],
  destroy: async () => [(await import('./commands/destroy.js')).register],
  import: async () => [(await import('./commands/import.js')).register],
  export: async () => [(await import('./commands/export.js')).register],
  state: async () => [
    (await import('./commands/state.js')).register,
    (await import('./commands/state-rebuild.js')).register,
    (await import('./commands/state-history.js')).register,
    (await import('./commands/state-copy.js')).register,
  ],
  'force-unlock': async () => [(await import('./commands/force-unlock.js')).register],
  serve: async () => [(await import('./commands/serve.js')).register],
  test: async () => [(await import('./commands/test.js')).register],
};

/**
 * A command of this program: an option it does not take is refused naming the option and
 * the command, and so is a subcommand's (they are made by `createCommand`).
 */
class ProgramCommand extends Command {
  override createCommand(name?: string): Command {
    return new ProgramCommand(name);
  }

  /** Called by commander's parser for an option this command does not define. */
  unknownOption(flag: string): never {
    const name = flag.split('=')[0] ?? flag;
    const path: string[] = [];
    for (let command: Command | null = this; command !== null; command = command.parent) path.unshift(command.name());
    const where = path.join(' ');
    throw new UserError('USAGE', `${where} takes no option ${name}; "${where} --help" lists the options it takes.`);
  }
}

/** The program with the commands `argv` names, or all of them (for help and unknown commands). */
export async function buildProgram(io: CliIo, argv: readonly string[]): Promise<Command> {
  const program = new ProgramCommand('assistants')
    .description('Infrastructure as code for the OpenAI Assistants API: validate, plan, apply, destroy, test, serve.')
    .version(TOOL_VERSION)
    .option('--debug', 'print stack traces for unexpected errors, and the local server\'s requests')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // One voice: every error line starts "Error:", as ours do.
      outputError: (text, write) => write(text.replace(/^error: /, 'Error: ')),
    })
    .hook('preAction', () => {
      io.debug = program.opts<{ debug?: boolean }>().debug === true;
    });
  const named = argv.find((arg) => !arg.startsWith('-'));
  const load = named !== undefined ? COMMANDS[named] : undefined;
  const loaders = load ? [load] : Object.values(COMMANDS);
  for (const registers of await Promise.all(loaders.map((loader) => loader()))) {
    for (const register of registers) register(program, io);
  }
  return program;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const program = await buildProgram(io, argv);
    await program.parseAsync([...argv], { from: 'user' });
    return io.exitCode;
  } catch (error) {
    return reportError(error, io, argv.includes('--debug'));
  }
}

function reportError(thrown: unknown, io: CliIo, debug: boolean): number {
  // A Ctrl-C outside apply's execution gives up the requests in flight (interrupts.ts).
  const error = thrown instanceof APIUserAbortError && io.interrupts.count > 0 ? new UserError('INTERRUPTED', 'Interrupted: the requests in flight were given up.') : thrown;
  const secrets = [io.env.OPENAI_API_KEY ?? '', ...connectionSecrets(io.env)].filter((s) => s.length >= 4);
  const scrub = (text: string): string => secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
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

