/**
 * What a PostgreSQL failure means to the server: the database cannot be reached now (a
 * 503 the client may retry, and a run tried again later), or a transaction to run again
 * (a serialization failure, a deadlock). SQLSTATE codes:
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */

/** A SQLSTATE from the server, or a Node code from the socket. */
export function driverCode(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const { code, errors } = error as { code?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  // Node's connect to several addresses (localhost: ::1 and 127.0.0.1) fails with an AggregateError.
  if (Array.isArray(errors)) return driverCode(errors[0]);
  return undefined;
}

const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  // admin_shutdown, crash_shutdown, cannot_connect_now (starting or stopping), too_many_connections
  '57P01',
  '57P02',
  '57P03',
  '53300',
  // connection_exception and its kinds
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

/** Driver messages of a connection that died or could not be made in time. */
const UNAVAILABLE_MESSAGE = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|Connection ended|Query read timeout/i;

export function isUnavailable(error: unknown): boolean {
  const code = driverCode(error);
  if (code !== undefined && UNAVAILABLE.has(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return UNAVAILABLE_MESSAGE.test(message);
}

/** serialization_failure, deadlock_detected: the transaction may succeed when run again. */
export function isRetryable(error: unknown): boolean {
  const code = driverCode(error);
  return code === '40001' || code === '40P01';
}
