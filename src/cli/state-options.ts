/** `--state PATH` and `--lock-timeout DURATION`, for every command that reads or writes state. */
import type { Command } from 'commander';

export interface StateOptions {
  /** `--state`: the state file, overriding `.assistants/state/<ENV>.json`. */
  state?: string;
}

export interface LockOptions {
  /** `--lock-timeout`, unparsed; see `parseDuration`. */
  lockTimeout?: string;
}

export function addStateOption(command: Command): Command {
  return command.option('--state <path>', 'state file (default: .assistants/state/<ENV>.json beside the manifest)');
}

export function addLockTimeoutOption(command: Command): Command {
  return command.option('--lock-timeout <duration>', 'how long to wait for a held state lock, or for the local server\'s data with --endpoint local, e.g. 30s, 5m (default: 0, fail at once)');
}
