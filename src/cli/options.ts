/**
 * The options commands share, each defined once: its flags, its help, and the parser that
 * checks its value while the command line is read (a bad value fails there, naming the
 * option, before anything runs). A command lists the common options it uses after its
 * own (`addOptions`); an option it does not list is refused by the parser, naming the
 * option and the command (program.ts).
 */
import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { baseUrlProblem, NOT_A_URL } from '../api/base-url.js';
import { UserError } from '../errors.js';
import { checkedEnvironment } from '../state/resolve-path.js';
import type { CliIo } from './io.js';
import { parseDuration } from './option-parsers.js';

/** Where the manifest is and how it resolves: every command that reads it. */
export interface ManifestOptions {
  /** `-f`: the manifest file. */
  file: string;
  env?: string;
  allowOutsidePaths?: boolean;
  /** `--var NAME=VALUE`, repeatable. */
  var?: Record<string, string>;
}

/** Which API, and how long one request may take: every command that talks to it. */
export interface EndpointOptions {
  /** `--endpoint`: `local`, or a base URL without a trailing slash. */
  endpoint?: string;
  /** `--request-timeout`, in milliseconds. */
  requestTimeout: number;
}

export interface StateOptions {
  /** `--state`: the state file, overriding `.assistants/state/<ENV>.json`. */
  state?: string;
  /** `--state-backend`: over ASSISTANTS_STATE_BACKEND and the manifest's `backend:`. */
  stateBackend?: 'local' | 'pg';
  /** `--skip-schema-creation` (pg): the tables must exist; run no DDL. */
  skipSchemaCreation?: boolean;
}

export interface LockOptions {
  /** `--lock-timeout`, in milliseconds (0: fail at once). */
  lockTimeout: number;
}

/** The options of a command that reads the manifest and talks to the API. */
export type CommonOptions = ManifestOptions & EndpointOptions;

/** The manifest's name in a folder: what -f defaults to, and what `-f FOLDER` means. */
export const MANIFEST_NAME = 'assistants.yaml';

/** `--var-file`'s variables under the `--var` ones, once the command line is read: the command sees them as `var`. */
export async function resolveVarFile(command: Command, cwd: string): Promise<void> {
  const file: unknown = command.getOptionValue('varFile');
  if (typeof file !== 'string') return;
  const { readVarFile } = await import('./var-file.js');
  const fromFile = await readVarFile(file, cwd);
  const given = command.getOptionValue('var') as Record<string, string> | undefined;
  command.setOptionValueWithSource('var', { ...fromFile, ...given }, 'cli');
}

/** `-f FOLDER` as FOLDER/assistants.yaml, once the command line is read (relative to the command's folder). */
export function resolveManifestOption(command: Command, cwd: string): void {
  const file: unknown = command.getOptionValue('file');
  if (typeof file !== 'string' || command.getOptionValueSource('file') !== 'cli') return;
  const isFolder = statSync(resolve(cwd, file), { throwIfNoEntry: false })?.isDirectory() === true;
  if (isFolder) command.setOptionValueWithSource('file', join(file, MANIFEST_NAME), 'cli');
}

/**
 * Throws the one-line error of a manifest that is not there, naming the folder looked in
 * and how to point at another; other problems of the file are the loader's to say.
 */
export async function requireManifest(options: Pick<ManifestOptions, 'file'>, io: CliIo): Promise<void> {
  const path = resolve(io.cwd, options.file);
  const missing = await stat(path).then(
    () => false,
    (error: NodeJS.ErrnoException) => error.code === 'ENOENT' || error.code === 'ENOTDIR',
  );
  if (!missing) return;
  const folder = dirname(path);
  throw new UserError(
    'USAGE',
    options.file === MANIFEST_NAME
      ? `no ${MANIFEST_NAME} in ${folder}: run in the folder that holds the manifest, or give -f FILE (or -f FOLDER holding ${MANIFEST_NAME}).`
      : `no manifest at ${options.file} (looked in ${folder}): check -f; it takes the manifest, or a folder holding ${MANIFEST_NAME}.`,
  );
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function collectVariable(text: string, previous: Record<string, string> | undefined): Record<string, string> {
  const at = text.indexOf('=');
  const name = at > 0 ? text.slice(0, at) : '';
  if (!VARIABLE_NAME.test(name)) {
    throw new UserError('USAGE', `--var ${JSON.stringify(text.slice(0, 70))}: give it as NAME=VALUE, NAME being a variable declared under variables:.`);
  }
  return { ...previous, [name]: text.slice(at + 1) };
}

/** `--endpoint`'s value as plans and state record it: `local`, or the base URL without a trailing slash. */
export function parseEndpoint(value: string, source = '--endpoint'): string {
  if (value === 'local') return 'local';
  const problem = baseUrlProblem(value);
  if (problem !== null) throw new UserError('USAGE', `${source} ${problem}${problem === NOT_A_URL ? ', or "local"' : ''}.`);
  return new URL(value).toString().replace(/\/+$/, '');
}

const COMMON = {
  file: () => new Option('-f, --file <path>', 'the manifest, or a folder holding assistants.yaml').default(MANIFEST_NAME),
  env: () =>
    new Option('--env <name>', "environment from the manifest's environments: section").argParser((value: string) => checkedEnvironment(value)),
  endpoint: () =>
    new Option('--endpoint <url|local>', 'API base URL, or "local" for the built-in local server (default: OPENAI_BASE_URL, else https://api.openai.com/v1)').argParser(
      (value: string) => parseEndpoint(value),
    ),
  requestTimeout: () =>
    new Option('--request-timeout <duration>', 'give up on one API request after this long (then retry)')
      .argParser((value: string) => parseDuration(value, '--request-timeout', { positive: true }))
      .default(60_000, '60s'),
  allowOutsidePaths: () => new Option('--allow-outside-paths', "allow manifest file paths outside the manifest's folder"),
  var: () => new Option('--var <name=value>', 'set a manifest variable, over its environment value and default (repeatable)').argParser(collectVariable),
  varFile: () => new Option('--var-file <file>', 'set manifest variables from a YAML or JSON file of NAME: value (each --var wins over it)'),
  state: () => new Option('--state <path>', 'local state file (default: .assistants/state/<ENV>.json beside the manifest)'),
  stateBackend: () =>
    new Option('--state-backend <type>', "where the state lives (default: ASSISTANTS_STATE_BACKEND, else the manifest's backend:, else local)").choices(['local', 'pg']),
  skipSchemaCreation: () => new Option('--skip-schema-creation', 'pg: create no schema or tables; they must exist (also PG_SKIP_SCHEMA_CREATION=true)'),
  lockTimeout: () =>
    new Option('--lock-timeout <duration>', "how long to wait for a held state lock, or for the local server's data with --endpoint local, e.g. 30s, 5m")
      .argParser((value: string) => parseDuration(value, '--lock-timeout'))
      .default(0, '0, fail at once'),
} satisfies Record<string, () => Option>;

export type CommonOptionName = keyof typeof COMMON;

/** The common options by what a command does with them; a command lists the sets it needs. */
export const MANIFEST: readonly CommonOptionName[] = ['file', 'env', 'allowOutsidePaths', 'var', 'varFile'];
/** Finding the state of an environment without resolving the manifest: -f and --env. */
export const LOCATION: readonly CommonOptionName[] = ['file', 'env'];
export const ENDPOINT: readonly CommonOptionName[] = ['endpoint', 'requestTimeout'];
export const STATE: readonly CommonOptionName[] = ['state', 'stateBackend', 'skipSchemaCreation'];
/** Which backend, for commands that name their local file otherwise (state push / pull). */
export const BACKEND: readonly CommonOptionName[] = ['stateBackend', 'skipSchemaCreation'];
export const LOCK: readonly CommonOptionName[] = ['lockTimeout'];

export const COMMON_HEADING = 'Common Options:';

/**
 * Adds a command's own options, then the common options it uses (each once, in the order
 * given), under their own heading in its help. Returns the command for chaining.
 */
export function addOptions(command: Command, own: readonly Option[], ...common: ReadonlyArray<readonly CommonOptionName[]>): Command {
  for (const option of own) command.addOption(option);
  for (const name of new Set(common.flat())) command.addOption(COMMON[name]().helpGroup(COMMON_HEADING));
  return command;
}
