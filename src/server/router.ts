/**
 * Method + path pattern -> handler.
 *
 *   router.add('GET', '/v1/threads/:thread_id', async (ctx) => {
 *     const thread = threads.get(ctx.params.thread_id);   // params are typed from the pattern
 *     if (!thread) throw notFound('thread', ctx.params.thread_id);
 *     return thread;                                      // sent as 200 JSON
 *   });
 *
 * A handler returns the JSON body (status 200), or `RESPONDED` after writing the response
 * itself on `ctx.res` (server-sent events). Throw ApiError for failures. Before the
 * handler runs, the server has checked auth, the beta header (unless `beta: false`),
 * rate limits and faults, and parsed a JSON body into `ctx.body` (undefined when empty;
 * with `rawBody: true` the body is left unread on `ctx.req`). After it returns, the
 * server flushes the store, so the change is durable before the response is sent.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { ServerContext } from './context.js';

type ParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamNames<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

/** `{ thread_id: string; run_id: string }` for `/v1/threads/:thread_id/runs/:run_id`. */
export type PathParams<P extends string> = { readonly [K in ParamNames<P>]: string };

export interface RequestContext<Params = Readonly<Record<string, string>>> {
  method: string;
  /** The URL path as received, e.g. `/v1/threads/thread_abc`. */
  path: string;
  /** The pattern that matched, e.g. `/v1/threads/:thread_id` (stats use it). */
  route: string;
  params: Params;
  query: URLSearchParams;
  /** Parsed JSON; undefined for an empty body or a `rawBody` route. */
  body: unknown;
  headers: IncomingHttpHeaders;
  req: IncomingMessage;
  res: ServerResponse;
  server: ServerContext;
}

/** Returned by a handler that wrote (or is writing) the response itself. */
export const RESPONDED: unique symbol = Symbol('responded');

export type Handler<Params = Readonly<Record<string, string>>> = (ctx: RequestContext<Params>) => unknown;

export interface RouteOptions {
  /** Require `OpenAI-Beta: assistants=v1` (default true; false for /v1/files). */
  beta?: boolean;
  /** Leave the body unread so the handler can stream it (multipart uploads). */
  rawBody?: boolean;
}

export interface Route {
  method: string;
  pattern: string;
  handler: Handler;
  options: Required<RouteOptions>;
  segments: string[];
}

export type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' };

function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

export class Router {
  private readonly routes: Route[] = [];

  add<P extends string>(method: string, pattern: P, handler: Handler<PathParams<P>>, options: RouteOptions = {}): void {
    const upper = method.toUpperCase();
    if (this.routes.some((r) => r.method === upper && r.pattern === pattern)) {
      throw new Error(`route registered twice: ${upper} ${pattern}`);
    }
    this.routes.push({
      method: upper,
      pattern,
      // Params are built from this same pattern, so the narrower type holds.
      handler: handler as Handler,
      options: { beta: options.beta ?? true, rawBody: options.rawBody ?? false },
      segments: splitPath(pattern),
    });
  }

  match(method: string, path: string): RouteMatch {
    const parts = splitPath(path);
    const allowed: string[] = [];
    let best: { route: Route; params: Record<string, string>; literals: number } | undefined;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method !== method.toUpperCase()) {
        allowed.push(route.method);
        continue;
      }
      // Prefer literal segments over parameters: /v1/threads/runs before /v1/threads/:thread_id.
      const literals = route.segments.filter((s) => !s.startsWith(':')).length;
      if (!best || literals > best.literals) best = { route, params, literals };
    }
    if (best) return { kind: 'found', route: best.route, params: best.params };
    if (allowed.length > 0) return { kind: 'method-not-allowed', allowed: [...new Set(allowed)] };
    return { kind: 'not-found' };
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i] as string;
    const actual = parts[i] as string;
    if (expected.startsWith(':')) {
      let value: string;
      try {
        value = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
      params[expected.slice(1)] = value;
    } else if (expected !== actual) {
      return undefined;
    }
  }
  return params;
}
