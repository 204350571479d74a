/**
 * The two header checks of every /v1 request, with the real API's bodies:
 * a bearer key (401; the key is masked, never echoed) and, on Assistants routes,
 * `OpenAI-Beta: assistants=v1` (400 `invalid_beta`).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ApiError } from './errors.js';

const MISSING_KEY_MESSAGE =
  "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.";

const BETA_MESSAGE =
  "You must provide the 'OpenAI-Beta' header to access the Assistants API. Please try again by setting the header 'OpenAI-Beta: assistants=v1'.";

/** `sk-ab*****…wxyz`: enough to recognise a key, never enough to use it. */
export function maskKey(key: string): string {
  if (key.length < 12) return '*'.repeat(key.length);
  return `${key.slice(0, 5)}${'*'.repeat(Math.min(key.length - 9, 40))}${key.slice(-4)}`;
}

function sameKey(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Throws 401 unless the request carries a bearer key (`expected`, when set). */
export function authenticate(req: IncomingMessage, expected: string | undefined): void {
  const match = /^Bearer\s+(.+)$/i.exec((req.headers.authorization ?? '').trim());
  const key = match?.[1]?.trim();
  if (!key) throw new ApiError(401, MISSING_KEY_MESSAGE);
  if (expected !== undefined && !sameKey(key, expected)) {
    throw new ApiError(
      401,
      `Incorrect API key provided: ${maskKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      { code: 'invalid_api_key' },
    );
  }
}

/**
 * Throws 400 `invalid_beta` unless `OpenAI-Beta` lists `assistants=v1`: with the hosted
 * API's message when the header is missing, and naming the value received otherwise (a v2
 * client sends `assistants=v2` and should learn that, not that the header is missing).
 */
export function requireBeta(req: IncomingMessage): void {
  const raw = req.headers['openai-beta'];
  const header = Array.isArray(raw) ? raw.join(', ') : (raw ?? '');
  const values = header.split(',').map((v) => v.trim());
  if (values.includes('assistants=v1')) return;
  if (header.trim() === '') throw new ApiError(400, BETA_MESSAGE, { code: 'invalid_beta' });
  const shown = header.length > 200 ? `${header.slice(0, 200)}…` : header;
  throw new ApiError(
    400,
    `The 'OpenAI-Beta' header is '${shown}', but it must include 'assistants=v1': this server answers the Assistants API v1 only.`,
    { code: 'invalid_beta' },
  );
}
