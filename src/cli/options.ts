/** Options every command shares, as PRODUCT.md lists them. */
import { InvalidArgumentError, Option, type Command } from 'commander';

export interface CommonOptions {
  file: string;
  env?: string;
  endpoint?: string;
  requestTimeout: string;
  allowOutsidePaths?: boolean;
  /** `--var NAME=VALUE`, repeatable. */
  var: Record<string, string>;
  debug?: boolean;
}

function collectVariable(text: string, previous: Record<string, string>): Record<string, string> {
  const at = text.indexOf('=');
  const name = at > 0 ? text.slice(0, at) : '';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) {
    throw new InvalidArgumentError('give it as NAME=VALUE, NAME being a variable declared under variables:.');
  }
  return { ...previous, [name]: text.slice(at + 1) };
}

export function addCommonOptions(command: Command): Command {
  return command
    .option('-f, --file <path>', 'manifest file', 'assistants.yaml')
    .option('--env <name>', 'environment from the manifest\'s environments: section')
    .addOption(new Option('--endpoint <url|local>', 'API base URL, or "local" for the built-in local server (default: OPENAI_BASE_URL, else https://api.openai.com/v1)'))
    .option('--request-timeout <duration>', 'give up on one API request after this long (then retry)', '60s')
    .option('--allow-outside-paths', "allow manifest file paths outside the manifest's folder")
    .option('--var <name=value>', 'set a manifest variable, over its environment value and default (repeatable)', collectVariable, {})
    .option('--debug', 'print stack traces for unexpected errors');
}
