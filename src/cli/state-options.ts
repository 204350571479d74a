/** `--state PATH` and `--lock-timeout DURATION`, for every command that reads or writes state. */
import type { Command } from 'commander';
import { UserError } from '../errors.js';

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
  return command.option('--lock-timeout <duration>', 'how long to wait for a held state lock, e.g. 30s, 5m (default: 0, fail at once)');
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Milliseconds in "500ms", "30s", "5m", "1h" or a bare number of seconds ("0", "10"). */
export function parseDuration(text: string, flag = '--lock-timeout'): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (match === null) {
    throw new UserError('USAGE', `${flag} ${JSON.stringify(text)}: expected a duration such as 0, 500ms, 30s, 5m or 1h`);
  }
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1_000));
}
