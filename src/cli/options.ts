/** Options every command shares, as PRODUCT.md lists them. */
import { Option, type Command } from 'commander';

export interface CommonOptions {
  file: string;
  env?: string;
  endpoint?: string;
  requestTimeout: string;
  allowOutsidePaths?: boolean;
  debug?: boolean;
}

export function addCommonOptions(command: Command): Command {
  return command
    .option('-f, --file <path>', 'manifest file', 'assistants.yaml')
    .option('--env <name>', 'environment from the manifest\'s environments: section')
    .addOption(new Option('--endpoint <url|local>', 'API base URL, or "local" for the built-in local server (default: OPENAI_BASE_URL, else https://api.openai.com/v1)'))
    .option('--request-timeout <duration>', 'give up on one API request after this long (then retry)', '60s')
    .option('--allow-outside-paths', "allow manifest file paths outside the manifest's folder")
    .option('--debug', 'print stack traces for unexpected errors');
}
