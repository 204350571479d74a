/**
 * The `assistants` program: commands registered, errors turned into text and exit codes.
 * `main.ts` runs it; tests call runCli directly with their own io.
 */
import { Command, CommanderError, Option } from 'commander';
import { APIError, APIUserAbortError } from '../api/errors.js';
import { exitCodeFor, UserError } from '../errors.js';
import { connectionSecrets } from '../pg-connection.js';
import type { CliIo, LogLevel } from './io.js';
import { versionText } from './commands/version.js';
import { resolveManifestOption, resolveVarFile } from './options.js';

type Register = (program: Command, io: CliIo) => void;

/**
 * Command modules by command name, loaded on demand: a command pulls in only what it
 * uses (validate never loads the HTTP client or the server), which keeps start-up short.
 * The built CLI holds all but validate's (and version's) in bundles of their own, read on
 * the first of these imports (scripts/bundle-cli.mjs): import them only with import().
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
    (await import('./commands/state-mv.js')).register,
  ],
  'force-unlock': async () => [(await import('./commands/force-unlock.js')).register],
  serve: async () => [(await import('./commands/serve.js')).register],
  test: async () => [(await import('./commands/test.js')).register],
  diff: async () => [(await import('./commands/diff.js')).register],
  version: async () => [(await import('./commands/version.js')).register],
  show: async () => [(await import('./commands/show.js')).register],
  output: async () => [(await import('./commands/output.js')).register],
  fmt: async () => [(await import('./commands/fmt.js')).register],
};

/** The commands of the everyday loop, listed first in `assistants --help` (as Terraform does). */
const MAIN_COMMANDS = new Set(['validate', 'plan', 'apply', 'destroy', 'test']);

interface GlobalOptions {
  debug?: boolean;
  logLevel?: LogLevel;
  color?: boolean;
  input?: boolean;
  version?: boolean;
}

/** `--log-level` or ASSISTANTS_LOG: trace or debug log each request; info, warn, error and off do not (as TF_LOG's names). */
function parseLogLevel(text: string, source = '--log-level'): LogLevel {
  const level = text.trim().toLowerCase();
  if (level === 'trace' || level === 'debug') return 'debug';
  if (['', 'info', 'warn', 'error', 'off'].includes(level)) return 'off';
  throw new UserError('USAGE', `${source} ${JSON.stringify(text.slice(0, 20))}: give debug (each API request and its status on stderr), or off.`);
}

function parseBoolean(text: string): boolean {
  if (/^(true|yes|1)$/i.test(text)) return true;
  if (/^(false|no|0)$/i.test(text)) return false;
  throw new UserError('USAGE', `--input ${JSON.stringify(text.slice(0, 20))}: give true or false, as in --input=false.`);
}

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
    .usage('[global options] <command> [options]')
    .description(
      'Infrastructure as code for the OpenAI Assistants API: a YAML manifest, "plan" to see what would change, "apply" to make it so, recorded in a state, as Terraform does.',
    )
    .option('-V, --version', 'print the version of the tool and of its manifest, state and plan formats')
    .option('--debug', "print stack traces of unexpected errors, and the local server's requests")
    .addOption(new Option('--log-level <level>', 'debug: print each API request, its status and time on stderr, the key redacted (also ASSISTANTS_LOG=debug)').argParser((text: string) => parseLogLevel(text)))
    .option('--no-color', 'no colour in the output, even on a terminal (also NO_COLOR)')
    .addOption(new Option('--input <bool>', 'false: never prompt; what would ask fails instead (as in CI)').argParser(parseBoolean))
    .helpOption('-h, --help', 'show help for the command')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // One voice: every error line starts "Error:", as ours do.
      outputError: (text, write) => write(text.replace(/^error: /, 'Error: ')),
    })
    .hook('preAction', async (_program, command) => {
      const global = program.opts<GlobalOptions>();
      if (global.version) {
        io.stdout.write(versionText());
        throw new CommanderError(0, 'commander.version', '');
      }
      io.debug = global.debug === true;
      io.logLevel = global.logLevel ?? parseLogLevel(io.env.ASSISTANTS_LOG ?? '', 'ASSISTANTS_LOG');
      if (global.color === false) io.color = false;
      if (global.input !== undefined) io.input = global.input;
      resolveManifestOption(command, io.cwd);
      await resolveVarFile(command, io.cwd);
    });
  const named = argv.find((arg) => !arg.startsWith('-'));
  const load = named !== undefined ? COMMANDS[named] : undefined;
  const loaders = load ? [load] : Object.values(COMMANDS);
  for (const registers of await Promise.all(loaders.map((loader) => loader()))) {
    for (const register of registers) register(program, io);
  }
  for (const command of program.commands) command.helpGroup(MAIN_COMMANDS.has(command.name()) ? 'Main Commands:' : 'Other Commands:');
  program.helpCommand(false);
  return program;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    // `assistants --version` alone is the version command.
    const args = argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V') ? ['version'] : argv;
    const program = await buildProgram(io, args);
    await program.parseAsync([...args], { from: 'user' });
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

