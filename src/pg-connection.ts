/**
 * Where a PostgreSQL database is, from the environment as libpq and Terraform's `pg`
 * backend read it: `PG_CONN_STR` (a `postgres://` URL or a libpq `key=value` string), and
 * for whatever it leaves out the standard variables (`PGHOST`, `PGPORT`, `PGUSER`,
 * `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`, `PGSSLROOTCERT`, `PGCONNECT_TIMEOUT`); or from a
 * string given on the command line (`serve --database URL`) in place of `PG_CONN_STR`.
 * The password and the raw string are secrets: they go to the client and nowhere else,
 * and `description` (used in every message) never holds them. A shared helper: the
 * PostgreSQL state backend and the server's PostgreSQL store both connect this way.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { ClientConfig } from 'pg';
import { currentUser } from './current-user.js';
import { UserError } from './errors.js';

export interface PgConnection {
  host: string;
  port: number;
  user: string;
  database: string;
  password: string | undefined;
  /** false: no TLS; otherwise the TLS options for the client. */
  ssl: false | ConnectionOptions;
  connectTimeoutMs: number;
  /** `user@host:port/database`: what messages name; never a password. */
  description: string;
  /** Values that must never be printed (the password, the raw connection string). */
  secrets: string[];
}

type Settings = Partial<Record<'host' | 'port' | 'user' | 'password' | 'dbname' | 'sslmode' | 'sslrootcert' | 'connect_timeout', string>>;

const KEYWORDS = new Set(['host', 'port', 'user', 'password', 'dbname', 'sslmode', 'sslrootcert', 'connect_timeout']);
const DEFAULT_CONNECT_TIMEOUT_S = 10;

function connStrError(problem: string, name: string): UserError {
  // The string itself may hold a password: it is never quoted back.
  return new UserError('CONFIG', `${name} ${problem}; give a URL like postgres://USER@HOST:5432/DATABASE or a libpq string like "host=HOST dbname=DATABASE" (the value is not shown: it may hold a password)`);
}

/** A `postgres://` or `postgresql://` URL's settings; query parameters are libpq keywords. */
function parseUrl(text: string, name: string): Settings {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw connStrError('is not a valid URL', name);
  }
  const settings: Settings = {};
  const decode = (value: string, what: string): string => {
    try {
      return decodeURIComponent(value);
    } catch {
      throw connStrError(`has a badly escaped ${what}`, name);
    }
  };
  if (url.hostname) settings.host = decode(url.hostname.replace(/^\[(.*)\]$/, '$1'), 'host');
  if (url.port) settings.port = url.port;
  if (url.username) settings.user = decode(url.username, 'user name');
  if (url.password) settings.password = decode(url.password, 'password');
  const database = url.pathname.replace(/^\//, '');
  if (database) settings.dbname = decode(database, 'database name');
  for (const [key, value] of url.searchParams) {
    if (!KEYWORDS.has(key)) throw connStrError(`has the parameter "${key}", which this tool does not support (supported: ${[...KEYWORDS].join(', ')})`, name);
    settings[key as keyof Settings] = value;
  }
  return settings;
}

/** A libpq keyword/value string: `host=db port=5432 password='it''s'` (single quotes, backslash escapes). */
function parseKeywordValue(text: string, name: string): Settings {
  const settings: Settings = {};
  let at = 0;
  const skipSpace = (): void => {
    while (at < text.length && /\s/.test(text[at] ?? '')) at += 1;
  };
  for (skipSpace(); at < text.length; skipSpace()) {
    const keyStart = at;
    while (at < text.length && /[A-Za-z_]/.test(text[at] ?? '')) at += 1;
    const key = text.slice(keyStart, at);
    skipSpace();
    if (key === '' || text[at] !== '=') throw connStrError('is not a valid connection string (expected key=value pairs)', name);
    at += 1;
    skipSpace();
    let value = '';
    if (text[at] === "'") {
      at += 1;
      for (;;) {
        const char = text[at];
        if (char === undefined) throw connStrError('has an unterminated quoted value', name);
        at += 1;
        if (char === "'") break;
        if (char === '\\') {
          const escaped = text[at];
          if (escaped === undefined) throw connStrError('ends in a backslash', name);
          value += escaped;
          at += 1;
        } else value += char;
      }
    } else {
      while (at < text.length && !/\s/.test(text[at] ?? '')) {
        const char = text[at] ?? '';
        if (char === '\\' && at + 1 < text.length) at += 1;
        value += text[at] ?? '';
        at += 1;
      }
    }
    if (!KEYWORDS.has(key)) throw connStrError(`has the keyword "${key}", which this tool does not support (supported: ${[...KEYWORDS].join(', ')})`, name);
    settings[key as keyof Settings] = value;
  }
  return settings;
}

function fromEnvironment(env: NodeJS.ProcessEnv): Settings {
  const settings: Settings = {};
  const take = (key: keyof Settings, name: string): void => {
    const value = env[name];
    if (value !== undefined && value !== '') settings[key] = value;
  };
  take('host', 'PGHOST');
  take('port', 'PGPORT');
  take('user', 'PGUSER');
  take('password', 'PGPASSWORD');
  take('dbname', 'PGDATABASE');
  take('sslmode', 'PGSSLMODE');
  take('sslrootcert', 'PGSSLROOTCERT');
  take('connect_timeout', 'PGCONNECT_TIMEOUT');
  return settings;
}

/**
 * TLS as libpq's sslmode means it: `disable`, `allow` and `prefer` connect without TLS (this
 * client cannot fall back, so it does not try), `require` encrypts without checking the
 * certificate, `verify-ca` checks it against `sslrootcert`, `verify-full` also checks the host name.
 */
function tlsFor(mode: string | undefined, rootCert: string | undefined, from: string): false | ConnectionOptions {
  const ca = (): Pick<ConnectionOptions, 'ca'> => {
    if (rootCert === undefined) return {};
    try {
      return { ca: readFileSync(rootCert, 'utf8') };
    } catch (error) {
      throw new UserError('CONFIG', `sslrootcert ${rootCert} (from ${from}) cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  };
  switch (mode ?? 'disable') {
    case 'disable':
    case 'allow':
    case 'prefer':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined, ...ca() };
    case 'verify-full':
      return { rejectUnauthorized: true, ...ca() };
    default:
      throw new UserError('CONFIG', `sslmode "${mode}" (from ${from}) is not one of disable, allow, prefer, require, verify-ca, verify-full`);
  }
}

/**
 * The connection the environment describes (with `given`, a string from elsewhere, such as
 * `serve --database`, in place of PG_CONN_STR); throws UserError('CONFIG') naming the
 * variable or option at fault.
 */
export function pgConnectionFromEnv(env: NodeJS.ProcessEnv, given?: { text: string; name: string }): PgConnection {
  const name = given?.name ?? 'PG_CONN_STR';
  const raw = given?.text ?? env['PG_CONN_STR'];
  const fromString = raw === undefined || raw.trim() === '' ? {} : /^postgres(ql)?:\/\//i.test(raw.trim()) ? parseUrl(raw.trim(), name) : parseKeywordValue(raw, name);
  const settings: Settings = { ...fromEnvironment(env), ...fromString };
  const source = (key: keyof Settings): string => (key in fromString ? name : `PG${key === 'dbname' ? 'DATABASE' : key.toUpperCase()}`);

  const host = settings.host ?? 'localhost';
  const port = Number(settings.port ?? '5432');
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new UserError('CONFIG', `the port from ${source('port')} is not a port number (1-65535)`);
  const timeout = Number(settings.connect_timeout ?? DEFAULT_CONNECT_TIMEOUT_S);
  if (!Number.isFinite(timeout) || timeout < 0) throw new UserError('CONFIG', `connect_timeout from ${source('connect_timeout')} must be a number of seconds`);
  const user = settings.user ?? currentUser();
  const database = settings.dbname ?? user;
  const secrets = [settings.password, raw].filter((s): s is string => s !== undefined && s.length > 0);
  return {
    host,
    port,
    user,
    database,
    password: settings.password,
    ssl: tlsFor(settings.sslmode, settings.sslrootcert, source('sslmode')),
    // libpq: 0 means wait indefinitely; a timeout under 2 s is raised to 2 s.
    connectTimeoutMs: timeout === 0 ? 0 : Math.max(2, timeout) * 1_000,
    description: `${user}@${host.includes(':') ? `[${host}]` : host}:${port}/${database}`,
    secrets,
  };
}

/** What must never be printed: PG_CONN_STR, PGPASSWORD and the password inside the string, whether or not it parses. */
export function connectionSecrets(env: NodeJS.ProcessEnv): string[] {
  const secrets = [env['PG_CONN_STR'], env['PGPASSWORD']].filter((s): s is string => s !== undefined && s.length > 0);
  try {
    secrets.push(...pgConnectionFromEnv(env).secrets);
  } catch {
    // An unparseable string is scrubbed whole.
  }
  return [...new Set(secrets)];
}

/** node-postgres settings for one connection to `connection`, named `applicationName` in pg_stat_activity. */
export function pgClientConfig(connection: PgConnection, applicationName: string): ClientConfig {
  return {
    host: connection.host,
    port: connection.port,
    user: connection.user,
    database: connection.database,
    password: connection.password,
    ssl: connection.ssl,
    connectionTimeoutMillis: connection.connectTimeoutMs,
    application_name: applicationName,
    keepAlive: true,
  };
}
