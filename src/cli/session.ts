/**
 * What a command that talks to the API needs: the endpoint (a URL, or `local` for an
 * in-process server persisted beside the manifest), a configured client, the desired
 * state from the manifest, and the state backend for the environment.
 */
import { chmod, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AssistantsApi, createConfiguration, DEFAULT_BASE_URL, FilesApi, type ResponseEvent } from '../api/index.js';
import { UserError } from '../errors.js';
import { checkManifest, FileHashCache, formatDiagnostic, loadTests, readManifest, resolveManifest, type CheckedManifest, type DesiredHeader, type LoadOptions, type ManifestDiagnostic, type TestDefinition } from '../manifest/index.js';
import type { DesiredState } from '../manifest/types.js';
import type { RunningServer, ServerOptions } from '../server/index.js';
import { PRIVATE_DIR_MODE } from '../atomic-file.js';
import type { StateFile } from '../state/types.js';
import type { CliIo } from './io.js';
import { ListCursors } from './list-cursors.js';
import { parseEndpoint, requireManifest, type EndpointOptions, type LockOptions, type ManifestOptions } from './options.js';

export interface ApiSession {
  /** What plans and state record: the base URL, or `local`. Never a key. */
  endpoint: string;
  assistants: AssistantsApi;
  files: FilesApi;
  /**
   * The same endpoint, for clean-up that must happen even after requests in flight were
   * given up (a second Ctrl-C): its requests carry no interrupt signal, and time out sooner.
   */
  cleanup: AssistantsApi;
  /** The assistant listing's cursors, kept between runs (list-cursors.ts); written by close. */
  listing: ListCursors;
  /** Saves what `listing` learnt, and stops the in-process server of `--endpoint local`, if any. */
  close(): Promise<void>;
}

/** One clean-up request (deleting a test's thread) waits at most this long per attempt. */
const CLEANUP_TIMEOUT_MS = 15_000;

/**
 * A client for the endpoint the options name. With `--endpoint local` this starts the
 * built-in server on the data beside the manifest, which one process uses at a time: while
 * another holds it, this waits up to --lock-timeout, then fails with LOCK_HELD naming it.
 */
export async function openSession(
  options: Pick<ManifestOptions, 'file'> & EndpointOptions & LockOptions,
  io: CliIo,
  command: string,
  environmentEndpoint?: string,
): Promise<ApiSession> {
  const timeoutMs = options.requestTimeout;
  const endpoint = endpointOf(options, io, environmentEndpoint);
  const onResponse = requestLog(io);
  if (endpoint === 'local') {
    const localFolder = join(manifestFolder(options, io), '.assistants', 'local');
    const dataFile = join(localFolder, 'api-data.jsonl');
    // The server's data (instructions, uploads) is its owner's only, even where an older version made it 0755.
    await mkdir(localFolder, { recursive: true, mode: PRIVATE_DIR_MODE });
    await chmod(localFolder, PRIVATE_DIR_MODE);
    // The model its runs use: local-server.yaml beside the manifest, else the stand-in.
    const { localServerModel } = await import('./model-options.js');
    const model = await localServerModel(manifestFolder(options, io), io);
    // Under --debug the server's requests are logged too, one line each (never a key or a body).
    const log = (line: string): void => {
      io.stderr.write(`local server: ${line.replace(/^assistants serve: /, '')}\n`);
    };
    const server = await startLocalServer(
      { port: 0, dataFile, holder: `assistants ${command}`, log, logRequests: io.debug === true, ...(model === undefined ? {} : { model }) },
      options.lockTimeout,
      io,
    );
    const settings = { apiKey: io.env.OPENAI_API_KEY ?? 'local', baseUrl: server.url };
    const configuration = createConfiguration({ ...settings, timeoutMs, signal: io.interrupts.requests, onResponse });
    const listing = ListCursors.at(cachePath(options, io, 'list-cursors.json'), { endpoint: 'local', organization: null, project: null });
    return {
      endpoint: 'local',
      assistants: new AssistantsApi(configuration),
      files: new FilesApi(configuration),
      cleanup: new AssistantsApi(createConfiguration({ ...settings, timeoutMs: Math.min(timeoutMs, CLEANUP_TIMEOUT_MS) })),
      listing,
      close: async () => {
        await listing.save();
        await server.close();
      },
    };
  }
  const baseUrl = endpoint;
  const apiKey = io.env.OPENAI_API_KEY;
  if (!apiKey) {
    throw new UserError(
      'CONFIG',
      `OPENAI_API_KEY is not set: export it with a key for ${baseUrl}, or use --endpoint local for the built-in local server.`,
    );
  }
  const settings = { apiKey, baseUrl, organization: io.env.OPENAI_ORG_ID, project: io.env.OPENAI_PROJECT_ID };
  const configuration = createConfiguration({ ...settings, timeoutMs, signal: io.interrupts.requests, onResponse });
  if (onResponse !== undefined) io.stderr.write(`[debug] endpoint ${baseUrl}, key [redacted]\n`);
  // The headers that choose what the listing holds (the configuration's, as sent); never the key.
  const listing = ListCursors.at(cachePath(options, io, 'list-cursors.json'), { endpoint: baseUrl, organization: configuration.organization ?? null, project: configuration.project ?? null });
  return {
    endpoint: baseUrl,
    assistants: new AssistantsApi(configuration),
    files: new FilesApi(configuration),
    cleanup: new AssistantsApi(createConfiguration({ ...settings, timeoutMs: Math.min(timeoutMs, CLEANUP_TIMEOUT_MS) })),
    listing,
    close: () => listing.save(),
  };
}

/** Under --log-level debug: one line per API request on stderr (method, path, status, time); never the key or a body. */
function requestLog(io: CliIo): ((event: ResponseEvent) => void) | undefined {
  if (io.logLevel !== 'debug') return undefined;
  const key = io.env.OPENAI_API_KEY ?? '';
  return ({ method, path, status, ms }) => {
    const line = `[debug] ${method} ${path} -> ${status ?? 'no response'} (${ms} ms)`;
    io.stderr.write(`${key.length >= 4 ? line.split(key).join('[redacted]') : line}\n`);
  };
}

async function startLocalServer(options: ServerOptions & { dataFile: string }, lockTimeoutMs: number, io: CliIo): Promise<RunningServer> {
  const { dataFile } = options;
  // Loaded only here: commands against a remote endpoint never need the server's code.
  const { startServer, DataInUseError, describeDataHolder } = await import('../server/index.js');
  const deadline = Date.now() + lockTimeoutMs;
  for (let delay = 50, told = false; ; delay = Math.min(delay * 2, 1_000)) {
    try {
      return await startServer(options);
    } catch (error) {
      if (!(error instanceof DataInUseError)) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new UserError('CONFIG', `--endpoint local could not start the built-in server on ${dataFile}: ${reason}`);
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new UserError(
          'LOCK_HELD',
          `The local server's data (${dataFile}) is in use by ${describeDataHolder(error.holder)}. Wait for it to finish (--lock-timeout waits for it), or stop it.`,
        );
      }
      if (!told) {
        // As for a held state lock (locking.ts): say once whom it waits for.
        io.stderr.write(`The local server's data (${dataFile}) is in use by ${describeDataHolder(error.holder)}; waiting up to ${Math.ceil(lockTimeoutMs / 1000)}s for it...\n`);
        told = true;
      }
      await sleep(Math.min(delay, remaining), undefined, { signal: io.interrupts.stop }).catch(() => {
        throw new UserError('INTERRUPTED', `Interrupted while waiting for the local server's data held by ${describeDataHolder(error.holder)}; nothing was changed.`);
      });
    }
  }
}

/** The folder of the manifest `-f` names: the base of its relative paths, its state and local data. */
export function manifestFolder(options: Pick<ManifestOptions, 'file'>, io: CliIo): string {
  return dirname(resolve(io.cwd, options.file));
}

/**
 * The endpoint, as plans and state record it (`local`, or a base URL without a trailing
 * slash), in the one order every command uses: --endpoint, else OPENAI_BASE_URL, else the
 * environment's `endpoint:` in the manifest, else the OpenAI API.
 */
export function endpointOf(options: Pick<EndpointOptions, 'endpoint'>, io: CliIo, environmentEndpoint?: string): string {
  if (options.endpoint !== undefined) return options.endpoint;
  const fromEnv = io.env.OPENAI_BASE_URL;
  if (fromEnv !== undefined && fromEnv !== '') return parseEndpoint(fromEnv, 'OPENAI_BASE_URL');
  if (environmentEndpoint !== undefined) return parseEndpoint(environmentEndpoint, "the environment's endpoint: in the manifest");
  return DEFAULT_BASE_URL.replace(/\/+$/, '');
}

/** Called with each manifest problem as it is reported (for CI annotations). */
export type ProblemSink = (level: 'error' | 'warning', diagnostic: ManifestDiagnostic) => void;

export async function loadDesired(options: ManifestOptions, io: CliIo, load: CheckOptions = {}): Promise<DesiredState> {
  return (await checkDesired(options, io, load)).desired();
}

interface CheckOptions {
  onProblem?: ProblemSink | undefined;
  hashCache?: Promise<FileHashCache>;
}

/**
 * The manifest checked, its problems thrown and its warnings reported, the attached files not
 * yet hashed (CheckedManifest): plan, apply and destroy start their listing first, and hash
 * the files while its responses are awaited.
 */
export async function checkDesired(options: ManifestOptions, io: CliIo, { onProblem, hashCache = openHashCache(options, io) }: CheckOptions = {}): Promise<CheckedManifest> {
  await requireManifest(options, io);
  const result = await checkManifest({ ...loadOptions(options, io), hashCache });
  if (!result.ok) throw invalid(result.errors, 'the manifest', io, onProblem);
  reportWarnings(result.checked.warnings, io, onProblem);
  return result.checked;
}

/** The desired state and the behaviour tests that apply to its environment (`assistants test`). */
export async function loadDesiredWithTests(options: ManifestOptions, io: CliIo): Promise<{ desired: DesiredState; tests: TestDefinition[] }> {
  await requireManifest(options, io);
  const read = await readManifest({ file: options.file, cwd: io.cwd });
  if (!read.ok) throw invalid(read.errors, 'the manifest', io);
  const result = await resolveManifest(read.manifest, { ...loadOptions(options, io), hashCache: openHashCache(options, io) });
  if (!result.ok) throw invalid(result.errors, 'the manifest', io);
  reportWarnings(result.warnings, io);
  const tests = await loadTests(read.manifest, result.desired);
  if (!tests.ok) throw invalid(tests.errors, 'the tests', io);
  return { desired: result.desired, tests: tests.tests };
}

function loadOptions(options: ManifestOptions, io: CliIo): LoadOptions {
  return {
    file: options.file,
    env: options.env,
    cwd: io.cwd,
    allowOutsidePaths: options.allowOutsidePaths,
    processEnv: io.env,
    variables: options.var,
  };
}

/**
 * The attached files' hash cache, beside the manifest's states (`.assistants/cache/file-hashes.json`),
 * read for one command. Loading the manifest saves it where `.assistants/` exists; an apply saves
 * it again once it has made that folder, so the first apply's hashes are not computed twice.
 */
export function openHashCache(options: Pick<ManifestOptions, 'file'>, io: CliIo): Promise<FileHashCache> {
  return FileHashCache.open(cachePath(options, io, 'file-hashes.json'));
}

/** A cache beside the manifest's states (private-cache.ts): `.assistants/cache/NAME`. */
function cachePath(options: Pick<ManifestOptions, 'file'>, io: CliIo, name: string): string {
  return join(manifestFolder(options, io), '.assistants', 'cache', name);
}

function invalid(errors: readonly ManifestDiagnostic[], what: string, io: CliIo, onProblem?: ProblemSink): UserError {
  for (const error of errors) onProblem?.('error', error);
  return new UserError(
    'MANIFEST_INVALID',
    `${errors.length} problem${errors.length === 1 ? '' : 's'} in ${what}; nothing was sent.`,
    errors.map((d) => formatDiagnostic(d, io.cwd)),
  );
}

function reportWarnings(warnings: readonly ManifestDiagnostic[], io: CliIo, onProblem?: ProblemSink): void {
  for (const warning of warnings) {
    io.stderr.write(`Warning: ${formatDiagnostic(warning, io.cwd)}\n`);
    onProblem?.('warning', warning);
  }
}

/**
 * A state must belong to this project, environment and endpoint: applying the dev state
 * to prod, or one project's state to another's, would touch what is not ours.
 */
export function checkStateBelongs(state: StateFile | null, desired: Pick<DesiredHeader, 'project' | 'environment'>, endpoint: string, location: string): void {
  if (!state) return;
  const mismatch =
    state.project !== desired.project
      ? `project "${state.project}", not "${desired.project}"`
      : state.environment !== desired.environment
        ? `environment "${state.environment}", not "${desired.environment}"`
        : state.endpoint !== endpoint
          ? `endpoint ${state.endpoint}, not ${endpoint}`
          : null;
  if (mismatch) {
    // The same assistants moved to another server (an export and import, a new URL for one): the state is re-pointed by finding them there.
    const repoint = state.project === desired.project && state.environment === desired.environment
      ? ` If the assistants now live at ${endpoint}, re-point the state with "assistants state rebuild --endpoint ${endpoint}".`
      : '';
    throw new UserError(
      'STATE',
      `${location} belongs to ${mismatch}; use the matching --env/--endpoint, or --state to point at another state file.${repoint}`,
    );
  }
}
