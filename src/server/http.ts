/**
 * Low-level request/response helpers: reading a body under a size limit (413 beyond it),
 * parsing JSON (400 with the real API's message), and writing JSON or an ApiError.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, invalidRequest } from './errors.js';

/** The real API's answer to a body that is not JSON. */
export const INVALID_JSON_MESSAGE =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)";

export function payloadTooLarge(limit: number): ApiError {
  return new ApiError(413, `Request body too large: the maximum is ${limit} bytes.`, {
    code: 'request_too_large',
  });
}

/** Throws 413 now when Content-Length already says the body is too big. */
export function checkContentLength(req: IncomingMessage, limit: number): void {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw payloadTooLarge(limit);
}

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  checkContentLength(req, limit);
  const chunks: Buffer[] = [];
  let size = 0;
  // Stopping early (413) must leave the socket open for the answer.
  for await (const chunk of req.iterator({ destroyOnReturn: false })) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw payloadTooLarge(limit);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * How deep objects and arrays may nest in a request body. Real bodies stay far below (a
 * function's `parameters` schema 40 levels deep is about 85); the bound keeps every
 * recursive walk of stored data (freezing, cloning, JSON) well inside the stack.
 */
export const MAX_BODY_DEPTH = 100;

/** Parses a JSON body; an empty body is undefined. */
export function parseJsonBody(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (text.trim() === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, INVALID_JSON_MESSAGE);
  }
  checkDepth(body);
  return body;
}

/** 400 naming the top-level field under which `value` nests deeper than MAX_BODY_DEPTH (without recursing). */
function checkDepth(value: unknown): void {
  const stack: Array<{ value: unknown; depth: number; field: string | null }> = [{ value, depth: 1, field: null }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (next.depth > MAX_BODY_DEPTH) {
      const where = next.field === null ? 'request body' : `'${next.field}'`;
      throw invalidRequest(
        `Invalid ${where}: nested too deeply. Expected at most ${MAX_BODY_DEPTH} levels of objects and arrays in a request body.`,
        next.field,
        'invalid_value',
      );
    }
    const topLevel = next.depth === 1 && !Array.isArray(next.value);
    for (const [key, child] of Object.entries(next.value)) {
      stack.push({ value: child, depth: next.depth + 1, field: topLevel ? key : next.field });
    }
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': String(payload.length),
  });
  res.end(payload);
}

export function sendError(res: ServerResponse, error: ApiError): void {
  sendJson(res, error.status, error.toBody(), error.headers);
}
