/**
 * The one place a command gets its state backend. Every command that reads or writes
 * state opens it here and talks to it only through the `StateBackend` interface.
 */
import type { StateBackend } from '../state/backend.js';
import { LocalStateBackend } from '../state/local-backend.js';
import { resolveStatePath } from '../state/resolve-path.js';
import type { CliIo } from './io.js';
import type { CommonOptions } from './options.js';
import type { StateOptions } from './state-options.js';

/** Which state a command means, when it knows more than its options say (a loaded manifest, a saved plan). */
export interface StateScope {
  environment?: string;
}

export async function openStateBackend(options: CommonOptions & StateOptions, scope: StateScope, io: CliIo): Promise<StateBackend> {
  return new LocalStateBackend(
    resolveStatePath({ cwd: io.cwd, manifestFile: options.file, env: scope.environment ?? options.env, statePath: options.state }),
  );
}

/** Runs `work` with the backend open, and closes it on every exit path. */
export async function withStateBackend<T>(
  options: CommonOptions & StateOptions,
  scope: StateScope,
  io: CliIo,
  work: (backend: StateBackend) => Promise<T>,
): Promise<T> {
  const backend = await openStateBackend(options, scope, io);
  try {
    return await work(backend);
  } finally {
    await backend.close();
  }
}
