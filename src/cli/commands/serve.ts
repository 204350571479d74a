/** `serve`: run the local Assistants-API-compatible server until SIGINT or SIGTERM. */
import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { pgConnectionFromEnv, type PgConnection } from '../../pg-connection.js';
import { pgUserError } from '../../state/pg/errors.js';
import { migrateDatabase, probeUpstream, startServer, type ServerOptions } from '../../server/index.js';
import { addHelp } from '../help.js';
import type { CliIo } from '../io.js';
import { modelFromFlags, type ModelFlags } from '../model-options.js';
import { collect, parseDuration } from '../option-parsers.js';

interface ServeFlags extends ModelFlags {
  port: string;
  host: string;
  data?: string;
  apiKey?: string;
  latencyMs?: string;
  rateLimit?: string;
  faultRate?: string;
  faultSeed?: string;
  logRequests?: boolean;
  /** false with --no-admin. */
  admin?: boolean;
  repair?: boolean;
  retrievalIndexChars?: string;
  /** A URL, or true for PG_CONN_STR / the libpq variables. */
  database?: string | boolean;
  databaseSchema?: string;
  migrate?: boolean;
  runLease?: string;
}

function parseNumber(flag: string, value: string, check: (n: number) => boolean, rule: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n)) {
    throw new UserError('USAGE', `${flag} must be ${rule}, got '${value}'.`);
  }
  return n;
}

/** Where `--database` points: its URL, or with no value PG_CONN_STR and the libpq variables. */
function databaseConnection(flags: ServeFlags, env: NodeJS.ProcessEnv): PgConnection {
  if (typeof flags.database === 'string') return pgConnectionFromEnv(env, { text: flags.database, name: '--database' });
  return pgConnectionFromEnv(env);
}

/** The flags as startServer options; a bad value is a USAGE error naming the flag. */
export function serveOptions(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): ServerOptions {
  const options: ServerOptions = {
    port: parseNumber('--port', flags.port, (n) => Number.isInteger(n) && n >= 0 && n <= 65535, 'an integer from 0 to 65535'),
    host: flags.host,
  };
  if (flags.data !== undefined) options.dataFile = flags.data;
  if (flags.database !== undefined && flags.database !== false) {
    if (flags.data !== undefined) throw new UserError('USAGE', '--data and --database are exclusive: the data lives in a file or in PostgreSQL, not both.');
    const schema = flags.databaseSchema ?? 'assistants_serve';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new UserError('USAGE', `--database-schema must be a lowercase SQL name (letters, digits, _; at most 63), got '${schema}'.`);
    options.database = { connection: databaseConnection(flags, env), schema };
    if (flags.runLease !== undefined) {
      const lease = parseDuration(flags.runLease, '--run-lease', { positive: true });
      if (lease < 1000) throw new UserError('USAGE', `--run-lease must be at least 1s (renewed every third of it), got '${flags.runLease}'.`);
      options.runLeaseMs = lease;
    }
  } else if (flags.databaseSchema !== undefined || flags.migrate || flags.runLease !== undefined) {
    const flag = flags.migrate ? '--migrate' : flags.runLease !== undefined ? '--run-lease' : '--database-schema';
    throw new UserError('USAGE', `${flag} needs --database (a URL, or no value for PG_CONN_STR and the libpq variables).`);
  }
  if (flags.apiKey !== undefined) {
    if (flags.apiKey === '') throw new UserError('USAGE', '--api-key must not be empty.');
    options.apiKey = flags.apiKey;
  }
  if (flags.latencyMs !== undefined) {
    options.latencyMs = parseNumber('--latency-ms', flags.latencyMs, (n) => n >= 0, 'a number >= 0');
  }
  if (flags.rateLimit !== undefined) {
    options.rateLimit = parseNumber('--rate-limit', flags.rateLimit, (n) => n > 0, 'a number of requests per second > 0');
  }
  if (flags.faultRate !== undefined) {
    options.faultRate = parseNumber('--fault-rate', flags.faultRate, (n) => n >= 0 && n <= 1, 'a probability from 0 to 1');
  }
  if (flags.faultSeed !== undefined) {
    options.faultSeed = parseNumber('--fault-seed', flags.faultSeed, Number.isInteger, 'an integer');
  }
  if (flags.logRequests) options.logRequests = true;
  if (flags.admin === false) options.admin = false;
  if (flags.repair) {
    if (flags.data === undefined) throw new UserError('USAGE', '--repair needs --data FILE: the journal to repair.');
    options.repair = true;
  }
  if (flags.retrievalIndexChars !== undefined) {
    const chars = parseNumber('--retrieval-index-chars', flags.retrievalIndexChars, (n) => Number.isInteger(n) && n > 0, 'a whole number of characters > 0');
    options.retrieval = { maxIndexChars: chars };
  }
  return options;
}

/** Why the server could not start, as one sentence that says what to change (never a database password). */
function startFailure(error: unknown, options: ServerOptions): UserError {
  const failure = describeStartFailure(error, options);
  let message = failure.message;
  for (const secret of options.database?.connection.secrets ?? []) if (secret.length >= 3) message = message.split(secret).join('[redacted]');
  return new UserError(failure.code, message);
}

function describeStartFailure(error: unknown, options: ServerOptions): UserError {
  if (!(error instanceof Error)) return new UserError('CONFIG', `Could not start the server: ${String(error)}`);
  const code = (error as NodeJS.ErrnoException).code;
  // The database refused (a password, a missing database, a privilege): said as the state backend says it.
  if (options.database !== undefined && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    const refused = pgUserError(error, options.database.connection, 'open the server\'s data');
    return new UserError('CONFIG', `Could not start the server: ${refused.message}`);
  }
  if (code === 'EADDRINUSE') return new UserError('CONFIG', `Port ${options.port} is already in use; pick another with --port.`);
  if (code === 'EACCES' && !options.dataFile) {
    return new UserError('CONFIG', `Not allowed to listen on ${options.host}:${options.port}; pick another --port or --host.`);
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new UserError('CONFIG', `Cannot listen on ${options.host}: no such local address; check --host.`);
  }
  // The data file (unreadable, corrupt, locked by another server), the database (unreachable, a newer schema) or a bad option.
  return new UserError('CONFIG', `Could not start the server: ${error.message}`);
}

export function register(program: Command, io: CliIo): void {
  const command = program
    .command('serve')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '8787')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--data <file>', 'persist to this file (default: in memory only)')
    .option('--api-key <key>', 'accept only this bearer key (default: any non-empty key)')
    .option('--latency-ms <n>', 'add this many milliseconds to every response')
    .option('--rate-limit <rps>', 'allow this many requests per second, then answer 429')
    .option('--fault-rate <p>', 'inject faults (500/502/503, dropped connections, stalls) into this share of requests')
    .option('--fault-seed <s>', 'seed for the fault sequence')
    .option('--repair', 'drop corrupt lines of the --data journal instead of refusing to start (a backup is kept)')
    .option('--no-admin', 'do not serve /_admin/stats and /_admin/reset')
    .option('--log-requests', 'print one line per request on stderr: method, path, status, time, request id')
    .option('--model <stand-in|chat>', 'what runs threads: the deterministic stand-in, or a Chat Completions API (--upstream-url)', 'stand-in')
    .option('--upstream-url <url>', 'with --model chat: the base URL of a Chat Completions API, such as http://127.0.0.1:11434/v1')
    .option('--upstream-key-env <name>', 'with --model chat: the environment variable that holds the upstream\'s key')
    .option('--model-map <name=upstream|file>', 'with --model chat: send this model name as another (repeatable), or the pairs of a YAML file', collect)
    .option('--upstream-timeout <duration>', 'with --model chat: how long the upstream may stay silent before a run fails (default 120s)')
    .option('--retrieval-index-chars <n>', 'characters of file text the retrieval index holds at most (default 32000000)')
    .option('--database [url]', 'keep the data in PostgreSQL, shared by every server given the same database (without a URL: PG_CONN_STR or the libpq variables)')
    .option('--database-schema <name>', 'with --database: the schema of the tables (default assistants_serve)')
    .option('--migrate', 'with --database: bring the schema to this version\'s tables, then exit (servers also do it when they start)')
    .option('--run-lease <duration>', 'with --database: how long a server holds a run without renewing; another takes over a dead server\'s runs after it (default 15s)');
  addHelp(command, {
    summary: 'Run the local Assistants API (v1) server',
    about:
      'An Assistants-API-compatible server on loopback: the test target of plan, apply and test, and their offline default (--endpoint local runs one in-process). ' +
      'Runs use a deterministic stand-in model, or any Chat Completions API with --model chat. Data lives in memory, in a file (--data) or in PostgreSQL (--database).',
    examples: [
      ['assistants serve --data api.jsonl', 'serve on http://127.0.0.1:8787/v1, keeping the data in api.jsonl'],
      ['assistants serve --model chat --upstream-url http://127.0.0.1:11434/v1', 'answer runs with a local Ollama'],
    ],
    env: ['PG_CONN_STR, PGHOST...'],
  });
  command.action(async (flags: ServeFlags) => {
      if (flags.migrate) {
        const options = serveOptions(flags);
        if (options.database === undefined) return;
        const applied = await migrateDatabase({ database: options.database }).catch((error: unknown) => {
          throw startFailure(error, options);
        });
        const where = `schema ${options.database.schema} at ${options.database.connection.description}`;
        io.stdout.write(applied.length === 0 ? `${where} is up to date\n` : `migrated ${where}: applied ${applied.map((v) => `version ${v}`).join(', ')}\n`);
        io.exitCode = 0;
        return;
      }
      const model = await modelFromFlags(flags, io);
      const options: ServerOptions = { ...serveOptions(flags), holder: 'assistants serve', log: (line) => io.stderr.write(`${line}
`) };
      if (model !== undefined) options.model = model;
      const running = await startServer(options).catch((error: unknown) => {
        throw startFailure(error, options);
      });
      io.stdout.write(`listening on ${running.url}\n`);
      // Whether the upstream answers is said, not waited for: the server serves either way.
      if (model?.type === 'chat') void probeUpstream(model).then((line) => io.stderr.write(`assistants serve: ${line}\n`));
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          running.close().then(resolve, (error: unknown) => {
            io.stderr.write(`assistants serve: error while closing: ${String(error)}\n`);
            resolve();
          });
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      io.exitCode = 0;
    });
}
