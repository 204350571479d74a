/** Where an environment's state file is, without loading the manifest. */
import { dirname, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { DEFAULT_ENVIRONMENT } from '../default-environment.js';

/** An environment name that is safe as a file name. */
const ENVIRONMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export interface StatePathInput {
  /** Relative paths are resolved against this. */
  cwd: string;
  /** The manifest file (`-f`), relative to `cwd` or absolute. */
  manifestFile: string;
  /** `--env`; `default` when absent. */
  env?: string | undefined;
  /** `--state`: used as is (relative to `cwd`) when given. */
  statePath?: string | undefined;
}

/** `env` (default `default`) when it is a usable environment name; throws USAGE otherwise. */
export function checkedEnvironment(env: string | undefined): string {
  const name = env ?? DEFAULT_ENVIRONMENT;
  if (!ENVIRONMENT_NAME.test(name)) {
    throw new UserError('USAGE', `--env ${JSON.stringify(name)}: an environment name is letters, digits, "_", "." and "-", starting with a letter or digit`);
  }
  return name;
}

/** The absolute state path: `--state`, else `.assistants/state/<ENV>.json` beside the manifest. */
export function resolveStatePath(input: StatePathInput): string {
  if (input.statePath !== undefined) return resolve(input.cwd, input.statePath);
  return resolve(input.cwd, dirname(input.manifestFile), '.assistants', 'state', `${checkedEnvironment(input.env)}.json`);
}
