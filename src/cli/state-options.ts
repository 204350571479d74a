/** Where the state is (`--state`, `--state-backend`, ...) and `--lock-timeout`, for every command that reads or writes state. */
import { Option, type Command } from 'commander';

export interface StateOptions {
  /** `--state`: the state file, overriding `.assistants/state/<ENV>.json`. */
  state?: string;
  /** `--state-backend`: over ASSISTANTS_STATE_BACKEND and the manifest's `backend:`. */
  stateBackend?: 'local' | 'pg';
  /** `--skip-schema-creation` (pg): the tables must exist; run no DDL. */
  skipSchemaCreation?: boolean;
}

export interface LockOptions {
  /** `--lock-timeout`, unparsed; see `parseDuration`. */
  lockTimeout?: string;
}

/** The options that say where the state is. */
export function addStateOption(command: Command): Command {
  return addBackendOptions(command.option('--state <path>', 'local state file (default: .assistants/state/<ENV>.json beside the manifest)'));
}

/** Which backend, and how to open it: for commands that name their local file otherwise (state push / pull). */
export function addBackendOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--state-backend <type>', 'where the state lives (default: ASSISTANTS_STATE_BACKEND, else the manifest\'s backend:, else local)').choices(['local', 'pg']),
    )
    .option('--skip-schema-creation', 'pg: create no schema or tables; they must exist (also PG_SKIP_SCHEMA_CREATION=true)');
}

export function addLockTimeoutOption(command: Command): Command {
  return command.option('--lock-timeout <duration>', 'how long to wait for a held state lock, or for the local server\'s data with --endpoint local, e.g. 30s, 5m (default: 0, fail at once)');
}
