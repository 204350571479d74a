/**
 * One request and its answer, as the logs see it: the request id the client gets in
 * `x-request-id`, method, path, when it started, and how it ended. The request log
 * (`serve --log-requests`) prints one line per exchange; the error log prints a line
 * naming the request id when the server fails one. Neither ever prints a header, a query
 * or a body: those can hold keys and data.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytesPooled } from './ids.js';

export type LogLine = (line: string) => void;

export interface Exchange {
  readonly id: string;
  readonly method: string;
  /** The path only, shortened when long. */
  readonly path: string;
  readonly started: number;
  /** How it ended when that is not a status the client saw: `dropped`, `stalled`, `client-gone`. */
  outcome: string | undefined;
}

const MAX_LOGGED_PATH = 200;

export function beginExchange(req: IncomingMessage, path: string): Exchange {
  return {
    id: `req_${randomBytesPooled(16).toString('hex')}`,
    method: printable(req.method ?? 'GET', 20),
    path: printable(path, MAX_LOGGED_PATH),
    started: performance.now(),
    outcome: undefined,
  };
}

/** Keeps a log line one line: no control characters, bounded length. */
function printable(text: string, max: number): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** Prints `METHOD PATH STATUS TIMEms REQUEST_ID` once the response is over. */
export function logWhenDone(exchange: Exchange, res: ServerResponse, log: LogLine): void {
  res.once('close', () => {
    const status = exchange.outcome ?? (res.headersSent ? String(res.statusCode) : 'client-gone');
    const ms = Math.round(performance.now() - exchange.started);
    log(`${exchange.method} ${exchange.path} ${status} ${ms}ms ${exchange.id}`);
  });
}

/** The one line an unexpected failure is logged as: the request, then the error and where it arose. */
export function failureLine(exchange: Exchange, status: number, error: unknown): string {
  return `assistants serve: ${exchange.id} ${exchange.method} ${exchange.path}: ${status} ${describeError(error)}`;
}

/** An error on one line: `Name: message (at file:line:col)`. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return printable(String(error), 1000);
  const frame = /\n\s+at (.*)/.exec(error.stack ?? '')?.[1];
  return printable(`${error.name}: ${error.message}${frame ? ` (at ${frame})` : ''}`, 2000);
}
