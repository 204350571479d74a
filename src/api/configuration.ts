/**
 * `createConfiguration(options?)`: where the client talks to and how. Defaults come from
 * the environment as the official SDKs read it. The API key is held in a private field
 * and never shows in `util.inspect`, `JSON.stringify` or an error.
 */
import { inspect } from 'node:util';
import type { Dispatcher } from 'undici';
import { baseUrlProblem, DEFAULT_BASE_URL } from './base-url.js';
import type { RetryClock } from './retry.js';
import { Transport, type ResponseEvent, type RetryEvent } from './transport.js';

export const DEFAULT_TIMEOUT_MS = 600_000;
export const DEFAULT_MAX_RETRIES = 2;

export interface ConfigurationOptions {
  /** Default: `OPENAI_API_KEY`. */
  apiKey?: string;
  /** Default: `OPENAI_BASE_URL`, else https://api.openai.com/v1. */
  baseUrl?: string;
  /** Sent as `OpenAI-Organization`. Default: `OPENAI_ORG_ID`. */
  organization?: string;
  /** Sent as `OpenAI-Project`. Default: `OPENAI_PROJECT_ID`. */
  project?: string;
  /** Per-attempt timeout in ms (default 600000). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 2). */
  maxRetries?: number;
  /** Observe each retry (for example to slow a whole worker pool down on a 429). */
  onRetry?: (event: RetryEvent) => void;
  /** Observe each attempt's outcome: method, path, status (null: no response) and time (a debug log). Never the key or a body. */
  onResponse?: (event: ResponseEvent) => void;
  /** An undici dispatcher to send requests through instead of this configuration's own pool. */
  dispatcher?: Dispatcher;
  /** Aborts every request made with this configuration (a command's Ctrl-C, say). */
  signal?: AbortSignal;
  /** Where the defaults are read from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** The waits between retries and their jitter (default: the system's; a test's fake one skips them). */
  clock?: RetryClock;
}

const transports = new WeakMap<Configuration, Transport>();

export class Configuration {
  readonly baseUrl: string;
  readonly organization: string | undefined;
  readonly project: string | undefined;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  /** Whether an API key is set (the key itself is never exposed). */
  readonly hasApiKey: boolean;

  constructor(options: ConfigurationOptions = {}) {
    const env = options.env ?? process.env;
    const apiKey = options.apiKey ?? nonEmpty(env['OPENAI_API_KEY']);
    const baseUrl = parseBaseUrl(options.baseUrl ?? nonEmpty(env['OPENAI_BASE_URL']) ?? DEFAULT_BASE_URL);
    this.baseUrl = baseUrl.href.replace(/\/+$/, '');
    this.organization = options.organization ?? nonEmpty(env['OPENAI_ORG_ID']);
    this.project = options.project ?? nonEmpty(env['OPENAI_PROJECT_ID']);
    this.timeoutMs = nonNegative('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    this.maxRetries = nonNegative('maxRetries', options.maxRetries ?? DEFAULT_MAX_RETRIES);
    this.hasApiKey = Boolean(apiKey);
    transports.set(
      this,
      new Transport({
        baseUrl,
        apiKey,
        organization: this.organization,
        project: this.project,
        timeoutMs: this.timeoutMs,
        maxRetries: this.maxRetries,
        dispatcher: options.dispatcher,
        onRetry: options.onRetry,
        onResponse: options.onResponse,
        signal: options.signal,
        clock: options.clock,
      }),
    );
  }

  /** Closes the keep-alive connections this configuration opened. */
  close(): Promise<void> {
    return transportOf(this).close();
  }

  toJSON(): Record<string, unknown> {
    return {
      baseUrl: this.baseUrl,
      organization: this.organization,
      project: this.project,
      timeoutMs: this.timeoutMs,
      maxRetries: this.maxRetries,
      apiKey: this.hasApiKey ? '[redacted]' : undefined,
    };
  }

  [inspect.custom](): string {
    return `Configuration ${inspect(this.toJSON())}`;
  }
}

export function createConfiguration(options?: ConfigurationOptions): Configuration {
  return new Configuration(options);
}

/** Internal: the transport of a configuration (not part of the public surface). */
export function transportOf(configuration: Configuration): Transport {
  const transport = transports.get(configuration);
  if (!transport) throw new TypeError('expected a Configuration made by createConfiguration()');
  return transport;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number, got ${value}`);
  return value;
}

function parseBaseUrl(value: string): URL {
  const problem = baseUrlProblem(value);
  if (problem !== null) throw new TypeError(`The API base URL (baseUrl, else OPENAI_BASE_URL) ${problem}.`);
  return new URL(value);
}
