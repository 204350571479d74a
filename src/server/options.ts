/**
 * The options of `startServer` (and so of `assistants serve`), and their resolved form
 * with every default filled in. A bad value is a RangeError naming the option.
 */
import type { PgConnection } from '../pg-connection.js';
import type { RetrievalOptions } from './retrieval/retrieval.js';
import { resolveModel, type ModelOptions, type ResolvedModel } from './upstream/chat-model-options.js';

export type { ChatModelOptions, ModelOptions } from './upstream/chat-model-options.js';

/** Where the PostgreSQL store keeps the data (docs/serve-postgres.md). */
export interface DatabaseOptions {
  connection: PgConnection;
  /** The schema of the tables (default `assistants_serve`), made if missing. */
  schema?: string;
  /** Connections per replica at most (default 10). */
  poolSize?: number;
}

export interface ServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Persist to this file (a JSON-lines journal); in memory when absent. */
  dataFile?: string;
  /** Keep everything in PostgreSQL instead (several servers may share it); not with dataFile. */
  database?: DatabaseOptions;
  /** How long a server's lease on a run lasts unless renewed (default 15 s): a replica that dies loses its runs after it. */
  runLeaseMs?: number;
  /** How often a server looks for runs whose lease ran out (default: a quarter of the lease, at most 1 s). */
  runClaimEveryMs?: number;
  /** What uses the data file, shown to another process that finds it in use (e.g. "assistants serve"). */
  holder?: string;
  /** Accept only this bearer key; without it any non-empty key is accepted. */
  apiKey?: string;
  /** Added to every /v1 response. */
  latencyMs?: number;
  /** Requests per second (token bucket); 429 beyond. */
  rateLimit?: number;
  /** Share of /v1 requests that get an injected fault, 0..1. */
  faultRate?: number;
  /** Seed of the fault sequence (default 1). */
  faultSeed?: number;
  /** How long a stall fault holds a request (default 3000 ms). */
  stallMs?: number;
  /** Largest JSON body (default 32 MiB); 413 beyond. */
  maxBodyBytes?: number;
  /** Largest upload to /v1/files (default 512 MB, the API's own limit); 413 beyond. */
  maxUploadBytes?: number;
  /** Delay between two phases of a run (default 25 ms), so pollers see queued and in_progress. */
  runStepMs?: number;
  /** How long a run waits for tool outputs before it expires (default 600 s, as the API). */
  runExpiresAfterSeconds?: number;
  /** The model that runs threads: the deterministic stand-in (default) or a Chat Completions upstream. */
  model?: ModelOptions;
  /** Limits of retrieval (see docs/retrieval.md); each has a default. */
  retrieval?: Partial<RetrievalOptions>;
  /** Serve /_admin/stats and /_admin/reset (default true). */
  admin?: boolean;
  /** Drop corrupt journal lines instead of refusing to start, after a backup (needs dataFile). */
  repair?: boolean;
  /** Log one line per request: method, path, status, time, request id (never a key or a body). */
  logRequests?: boolean;
  /** Where log lines go (requests, failures); default: stderr. */
  log?: (line: string) => void;
}

export interface ResolvedServerOptions {
  host: string;
  port: number;
  dataFile: string | undefined;
  database: Required<DatabaseOptions> | undefined;
  runLeaseMs: number;
  runClaimEveryMs: number;
  holder: string | undefined;
  apiKey: string | undefined;
  latencyMs: number;
  rateLimit: number | undefined;
  faultRate: number;
  faultSeed: number;
  stallMs: number;
  maxBodyBytes: number;
  maxUploadBytes: number;
  runStepMs: number;
  runExpiresAfterSeconds: number;
  model: ResolvedModel;
  retrieval: RetrievalOptions;
  admin: boolean;
  repair: boolean;
  logRequests: boolean;
  log: (line: string) => void;
}

/** Retrieval's limits: 2M tokens of text per file (the API's), 64 MB PDFs read within 60 s, 32M characters indexed in all. */
export const DEFAULT_RETRIEVAL: RetrievalOptions = {
  maxFileChars: 8_000_000,
  maxPdfBytes: 64_000_000,
  pdfTimeoutMs: 60_000,
  maxIndexChars: 32_000_000,
};

export function resolveOptions(options: ServerOptions): ResolvedServerOptions {
  const check = (ok: boolean, message: string): void => {
    if (!ok) throw new RangeError(message);
  };
  const resolved: ResolvedServerOptions = {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    dataFile: options.dataFile,
    database:
      options.database === undefined
        ? undefined
        : { connection: options.database.connection, schema: options.database.schema ?? 'assistants_serve', poolSize: options.database.poolSize ?? 10 },
    runLeaseMs: options.runLeaseMs ?? 15_000,
    runClaimEveryMs: options.runClaimEveryMs ?? Math.min(1_000, Math.floor((options.runLeaseMs ?? 15_000) / 4)),
    holder: options.holder,
    apiKey: options.apiKey,
    latencyMs: options.latencyMs ?? 0,
    rateLimit: options.rateLimit,
    faultRate: options.faultRate ?? 0,
    faultSeed: options.faultSeed ?? 1,
    stallMs: options.stallMs ?? 3000,
    maxBodyBytes: options.maxBodyBytes ?? 32 * 1024 * 1024,
    maxUploadBytes: options.maxUploadBytes ?? 512 * 1000 * 1000,
    runStepMs: options.runStepMs ?? 25,
    runExpiresAfterSeconds: options.runExpiresAfterSeconds ?? 600,
    model: resolveModel(options.model),
    retrieval: { ...DEFAULT_RETRIEVAL, ...options.retrieval },
    admin: options.admin ?? true,
    repair: options.repair ?? false,
    logRequests: options.logRequests ?? false,
    log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
  };
  check(Number.isInteger(resolved.port) && resolved.port >= 0 && resolved.port <= 65535, 'port must be an integer 0..65535');
  check(resolved.latencyMs >= 0, 'latencyMs must be >= 0');
  check(resolved.rateLimit === undefined || resolved.rateLimit > 0, 'rateLimit must be > 0');
  check(resolved.faultRate >= 0 && resolved.faultRate <= 1, 'faultRate must be between 0 and 1');
  check(Number.isInteger(resolved.faultSeed), 'faultSeed must be an integer');
  check(resolved.stallMs >= 0, 'stallMs must be >= 0');
  check(resolved.maxBodyBytes > 0 && resolved.maxUploadBytes > 0, 'body limits must be > 0');
  check(resolved.apiKey === undefined || resolved.apiKey !== '', 'apiKey must not be empty');
  check(resolved.runStepMs >= 0, 'runStepMs must be >= 0');
  check(!resolved.repair || resolved.dataFile !== undefined, 'repair needs a dataFile');
  check(resolved.database === undefined || resolved.dataFile === undefined, 'dataFile and database are exclusive: the data lives in one place');
  check(resolved.database === undefined || /^[a-z_][a-z0-9_]{0,62}$/.test(resolved.database.schema), 'database.schema must be a lowercase SQL name (letters, digits, _)');
  check(resolved.database === undefined || (Number.isInteger(resolved.database.poolSize) && resolved.database.poolSize >= 2), 'database.poolSize must be an integer >= 2');
  check(resolved.runLeaseMs >= 100, 'runLeaseMs must be >= 100');
  check(resolved.runClaimEveryMs >= 10, 'runClaimEveryMs must be >= 10');
  check(Number.isInteger(resolved.runExpiresAfterSeconds) && resolved.runExpiresAfterSeconds > 0, 'runExpiresAfterSeconds must be a positive integer');
  for (const [name, value] of Object.entries(resolved.retrieval)) check(Number.isFinite(value) && value > 0, `retrieval.${name} must be > 0`);
  return resolved;
}
