/**
 * PostgreSQL and network failures as one line each, naming the server (never its
 * password) and what to do. SQLSTATE codes: https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
import { UserError } from '../../errors.js';
import type { PgConnection } from '../../pg-connection.js';

/** What the driver's errors carry: a SQLSTATE from the server, or a Node code from the socket. */
interface DriverError {
  code?: unknown;
  message?: unknown;
  errors?: unknown;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EADDRNOTAVAIL', 'ENOENT']);
/** The server ended the session, or is starting up or shutting down. */
const SESSION_ENDED = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', 'ECONNRESET', 'EPIPE']);

export function driverCode(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const { code, errors } = error as DriverError;
  if (typeof code === 'string') return code;
  // Node's connect to several addresses (localhost: ::1 and 127.0.0.1) fails with an AggregateError.
  if (Array.isArray(errors)) return driverCode(errors[0]);
  return undefined;
}

function driverMessage(error: unknown): string {
  const message = error !== null && typeof error === 'object' ? (error as DriverError).message : undefined;
  return typeof message === 'string' && message !== '' ? message : String(error);
}

/** The connection was lost: the server restarted, the session was ended, the network dropped. */
export function isSessionLost(error: unknown): boolean {
  const code = driverCode(error);
  if (code !== undefined && SESSION_ENDED.has(code)) return true;
  return /Connection terminated|Client was closed|not queryable|connection ended/i.test(driverMessage(error));
}

/** The error a user sees for `error`, met while `doing` something against `connection`. */
export function pgUserError(error: unknown, connection: PgConnection, doing: string): UserError {
  if (error instanceof UserError) return error;
  const at = `PostgreSQL at ${connection.description}`;
  const code = driverCode(error);
  const message = scrub(driverMessage(error), connection);
  if ((code !== undefined && UNREACHABLE.has(code)) || /timeout expired|connection timeout/i.test(message)) {
    return new UserError('CONFIG', `cannot reach ${at} (${code ?? 'timed out'}): check that it runs and that PG_CONN_STR, or PGHOST and PGPORT, name it`);
  }
  switch (code) {
    case '28P01':
      return new UserError('CONFIG', `${at} refused the password for user "${connection.user}": check the password in PG_CONN_STR or PGPASSWORD`);
    case '28000':
      return new UserError('CONFIG', `${at} refused the connection: ${message}; check the user in PG_CONN_STR or PGUSER, and the server's pg_hba.conf`);
    case '3D000':
      return new UserError('CONFIG', `${at}: database "${connection.database}" does not exist; create it (createdb ${connection.database}) or name another in PG_CONN_STR or PGDATABASE`);
    case '42501':
      return new UserError('STATE', `${at}: permission denied to ${doing} (${message}); ask an administrator for the privilege`);
  }
  if (isSessionLost(error)) {
    return new UserError('STATE', `lost the connection to ${at} while trying to ${doing} (${message}); run the command again once the server is back`);
  }
  return new UserError('STATE', `${at}: could not ${doing}: ${message}${code !== undefined ? ` (${code})` : ''}`);
}

/** A server message never quotes our password, but a driver message might echo what it was given. */
export function scrub(text: string, connection: PgConnection): string {
  let out = text;
  for (const secret of connection.secrets) if (secret.length >= 3) out = out.split(secret).join('[redacted]');
  return out;
}
