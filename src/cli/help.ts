/**
 * What `assistants COMMAND --help` teaches beyond its options: a paragraph, examples, the
 * environment variables the command reads (from the common options it takes) and its exit
 * codes. Each command states its own in its module, beside its options.
 */
import { Option, type Command } from 'commander';
import { COMMON_HEADING } from './options.js';

export interface CommandHelp {
  /** One line, for the list of commands. */
  summary: string;
  /** A short paragraph: what it does, when to reach for it. */
  about: string;
  /** `[command line, what it does]`. */
  examples: ReadonlyArray<readonly [string, string]>;
  /** Environment variables read besides those of the common options. */
  env?: readonly string[];
  /** Exit codes besides 0 and 1. */
  exits?: readonly ExitCode[];
}

export type ExitCode = 2 | 3 | 130;

const ENVIRONMENT: Readonly<Record<string, string>> = {
  ASSISTANTS_VAR_NAME: "the value of the manifest variable NAME (declared under variables:), as Terraform's TF_VAR_NAME",
  OPENAI_API_KEY: 'the API key (never printed, logged or stored)',
  OPENAI_BASE_URL: 'the endpoint when --endpoint is not given',
  'OPENAI_ORG_ID, OPENAI_PROJECT_ID': 'sent as the official SDKs send them',
  ASSISTANTS_LOG: 'debug: each API request, its status and time on stderr (as --log-level debug)',
  ASSISTANTS_STATE_BACKEND: "local or pg, over the manifest's backend:",
  'PG_CONN_STR, PGHOST...': 'the pg state backend\'s connection (never printed)',
  PG_SCHEMA_NAME: "the pg state backend's schema, over the manifest's backend: {schema}",
  PG_SKIP_SCHEMA_CREATION: 'true: as --skip-schema-creation',
  'GITHUB_TOKEN, GITLAB_TOKEN': 'with --comment: the token that posts to the pull/merge request',
  NO_COLOR: 'no colour, even on a terminal (as --no-color)',
  CI: 'true: no prompts, no colour, no cursor tricks',
};

/** The variables a command reads because of the common options it takes. */
export const ENV_OF_OPTION: Readonly<Record<string, readonly string[]>> = {
  var: ['ASSISTANTS_VAR_NAME'],
  endpoint: ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'OPENAI_ORG_ID, OPENAI_PROJECT_ID', 'ASSISTANTS_LOG'],
  stateBackend: ['ASSISTANTS_STATE_BACKEND', 'PG_CONN_STR, PGHOST...', 'PG_SCHEMA_NAME', 'PG_SKIP_SCHEMA_CREATION'],
  comment: ['GITHUB_TOKEN, GITLAB_TOKEN'],
};

const EXITS: Readonly<Record<ExitCode, string>> = {
  2: 'changes present (with --detailed-exitcode)',
  3: 'the state is locked by another run (--lock-timeout waits for it)',
  130: 'interrupted',
};

function table(rows: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join('\n');
}

/** Sets the command's summary and description, and adds its examples, variables and exit codes after its options. */
export function addHelp(command: Command, help: CommandHelp): Command {
  command.summary(help.summary).description(`${help.summary}.\n\n${help.about}`);
  // After the command's own options: with the common ones when it has them.
  const common = command.options.some((option) => option.helpGroupHeading === COMMON_HEADING);
  command.addHelpOption(new Option('-h, --help', 'show help for the command').helpGroup(common ? COMMON_HEADING : 'Options:'));
  const fromOptions = command.options.flatMap((option) => ENV_OF_OPTION[option.attributeName()] ?? []);
  const env = [...new Set([...fromOptions, ...(help.env ?? []), 'NO_COLOR', 'CI'])];
  const exits: Array<[string, string]> = [
    ['0', 'success'],
    ['1', 'an error, said in one line starting "Error:"'],
    ...(help.exits ?? []).map((code): [string, string] => [String(code), EXITS[code]]),
  ];
  const examples = help.examples.map(([line, what]) => `  $ ${line}\n      ${what}`).join('\n');
  const sections = [
    help.examples.length > 0 ? `Examples:\n${examples}` : '',
    `Environment:\n${table(env.map((name) => [name, ENVIRONMENT[name] ?? '']))}`,
    `Exit codes:\n${table(exits)}`,
  ].filter((section) => section !== '');
  return command.addHelpText('after', `\n${sections.join('\n\n')}\n`);
}
