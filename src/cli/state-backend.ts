/**
 * The one place a command gets its state backend. Every command that reads or writes
 * state opens it here and talks to it only through the `StateBackend` interface.
 *
 * Which backend: `--state-backend`, else ASSISTANTS_STATE_BACKEND, else the manifest's
 * `backend: {type}`, else local. The pg backend keys its rows by the manifest's project
 * and the environment; its schema is PG_SCHEMA_NAME, else the manifest's
 * `backend: {schema}`, else `assistants_state`; its connection comes from the environment
 * only (PG_CONN_STR or the PG* variables). The PostgreSQL code is loaded only when chosen.
 */
import { UserError } from '../errors.js';
import { formatDiagnostic, readManifestHeader, type DesiredState, type ManifestBackend } from '../manifest/index.js';
import type { StateBackend } from '../state/backend.js';
import { LocalStateBackend } from '../state/local-backend.js';
import { checkedEnvironment, resolveStatePath } from '../state/resolve-path.js';
import type { CliIo } from './io.js';
import type { ManifestOptions, StateOptions } from './options.js';

/** What says where a state is: -f and --env, and the state options. */
type LocateOptions = Pick<ManifestOptions, 'file' | 'env'> & StateOptions;

/** Which state a command means, when it knows more than its options say (a loaded manifest, a saved plan). */
export interface StateScope {
  project?: string;
  environment?: string;
  /** The manifest's `backend:` block; null: the manifest has none; absent: not read yet. */
  backend?: ManifestBackend | null;
}

export type BackendType = ManifestBackend['type'];

/** What a loaded manifest says about its state. */
export function desiredScope(desired: Pick<DesiredState, 'project' | 'environment' | 'backend'>): StateScope {
  return { project: desired.project, environment: desired.environment, backend: desired.backend ?? null };
}

function parseType(value: string | undefined, source: string): BackendType | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'local' || value === 'pg') return value;
  throw new UserError('USAGE', `${source}=${JSON.stringify(value)}: the state backend is "local" or "pg"`);
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}

/** The scope completed from the manifest's header (its project and backend block) when the type or the project needs it. */
async function completeScope(options: LocateOptions, scope: StateScope, chosen: BackendType | undefined, io: CliIo): Promise<StateScope> {
  const needsHeader = chosen === 'pg' ? scope.project === undefined || scope.backend === undefined : chosen === undefined && scope.backend === undefined;
  if (!needsHeader) return scope;
  const read = await readManifestHeader({ file: options.file, cwd: io.cwd });
  if (!read.ok) {
    throw new UserError('MANIFEST_INVALID', `the manifest's project or backend: is invalid, so the state cannot be found.`, read.errors.map((d) => formatDiagnostic(d, io.cwd)));
  }
  return {
    ...scope,
    project: scope.project ?? read.header?.project,
    backend: scope.backend ?? read.header?.backend ?? null,
  };
}

/** The backend type the options, the environment and the manifest choose, and the scope it was chosen with. */
export async function chooseBackendType(options: LocateOptions, scope: StateScope, io: CliIo): Promise<{ type: BackendType; scope: StateScope }> {
  const explicit = options.stateBackend ?? parseType(io.env.ASSISTANTS_STATE_BACKEND, 'ASSISTANTS_STATE_BACKEND');
  const complete = await completeScope(options, scope, explicit, io);
  return { type: explicit ?? complete.backend?.type ?? 'local', scope: complete };
}

/** The local file backend of this environment (`--state`, else beside the manifest). */
function openLocalBackend(options: LocateOptions, scope: StateScope, io: CliIo): StateBackend {
  return new LocalStateBackend(resolveStatePath({ cwd: io.cwd, manifestFile: options.file, env: scope.environment ?? options.env, statePath: options.state }));
}

export async function openStateBackend(options: LocateOptions, scope: StateScope, io: CliIo): Promise<StateBackend> {
  const chosen = await chooseBackendType(options, scope, io);
  if (chosen.type === 'local') {
    if (options.skipSchemaCreation) throw new UserError('USAGE', '--skip-schema-creation applies to the pg state backend only; this command uses the local state file.');
    return openLocalBackend(options, chosen.scope, io);
  }
  if (options.state !== undefined) {
    throw new UserError('USAGE', '--state names a local state file, but the state backend here is pg; drop --state, or choose --state-backend local.');
  }
  return openPgBackend(options, chosen.scope, io);
}

async function openPgBackend(options: LocateOptions, scope: StateScope, io: CliIo): Promise<StateBackend> {
  const project = scope.project;
  if (project === undefined || project === '') {
    throw new UserError('USAGE', `the pg state backend keys the state by the manifest's project, and there is no manifest with a project at ${options.file}; give -f.`);
  }
  const environment = checkedEnvironment(scope.environment ?? options.env);
  const [{ pgConnectionFromEnv }, { PgStateBackend }, { DEFAULT_SCHEMA, SCHEMA_NAME }] = await Promise.all([
    import('../pg-connection.js'),
    import('../state/pg/backend.js'),
    import('../state/pg/schema.js'),
  ]);
  const fromEnv = io.env.PG_SCHEMA_NAME;
  const schema = fromEnv !== undefined && fromEnv !== '' ? fromEnv : (scope.backend?.schema ?? DEFAULT_SCHEMA);
  if (!SCHEMA_NAME.test(schema)) {
    throw new UserError('USAGE', `PG_SCHEMA_NAME=${JSON.stringify(schema)}: a schema name is 1-63 lowercase letters, digits or _, not starting with a digit`);
  }
  return PgStateBackend.open({
    connection: pgConnectionFromEnv(io.env),
    schema,
    project,
    environment,
    skipSchemaCreation: Boolean(options.skipSchemaCreation) || truthy(io.env.PG_SKIP_SCHEMA_CREATION),
  });
}

/** Runs `work` with the backend open, and closes it on every exit path. */
export async function withStateBackend<T>(
  options: LocateOptions,
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
