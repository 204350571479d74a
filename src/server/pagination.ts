/**
 * Cursor pagination as every v1 list endpoint does it:
 *
 *   return paginate(itemsInAscendingCreationOrder, ctx.query);
 *
 * Reads `limit` (1..100, default 20), `order` (asc|desc, default desc), `after` and
 * `before` (ids of objects in the list) and returns
 * `{object:'list', data, first_id, last_id, has_more}`, or throws a 400 naming the param.
 * `after=<last id>` yields an empty page: the v1 SDK stops on an empty page, not on has_more.
 */
import { invalidRequest } from './errors.js';
import { checkEnum } from './validate.js';

export interface ListPage<T> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

export interface PageQuery {
  limit: number;
  order: 'asc' | 'desc';
  after: string | undefined;
  before: string | undefined;
}

export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;

export function parsePageQuery(query: URLSearchParams): PageQuery {
  const rawLimit = query.get('limit');
  let limit = DEFAULT_PAGE_LIMIT;
  if (rawLimit !== null && rawLimit !== '') {
    if (!/^-?\d+$/.test(rawLimit)) {
      throw invalidRequest(
        `Invalid type for 'limit': expected an integer, but got a string instead.`,
        'limit',
        'invalid_type',
      );
    }
    limit = Number(rawLimit);
    if (limit < 1) {
      throw invalidRequest(
        `Invalid 'limit': integer below minimum value. Expected a value greater than or equal to 1, but got ${limit} instead.`,
        'limit',
        'integer_below_min_value',
      );
    }
    if (limit > MAX_PAGE_LIMIT) {
      throw invalidRequest(
        `Invalid 'limit': integer above maximum value. Expected a value less than or equal to ${MAX_PAGE_LIMIT}, but got ${limit} instead.`,
        'limit',
        'integer_above_max_value',
      );
    }
  }
  const rawOrder = query.get('order');
  const order = rawOrder === null || rawOrder === '' ? 'desc' : checkEnum(rawOrder, 'order', ['asc', 'desc'] as const);
  return { limit, order, after: query.get('after') || undefined, before: query.get('before') || undefined };
}

/** 400: a cursor that names no object of the list. */
export function unknownCursor(param: 'after' | 'before', id: string): Error {
  return invalidRequest(`Invalid '${param}': no object with id '${id}' in this list.`, param, 'invalid_value');
}

function cursorIndex(items: readonly { id: string }[], id: string, param: 'after' | 'before'): number {
  const index = items.findIndex((item) => item.id === id);
  if (index < 0) throw unknownCursor(param, id);
  return index;
}

/** One page of `ascending` (oldest first; ties already broken by insertion order). */
export function paginate<T extends { id: string }>(ascending: readonly T[], query: URLSearchParams): ListPage<T> {
  return pageOf(ascending, parsePageQuery(query));
}

/** One page of `ascending` for a parsed query (the embedded store's pages; the PostgreSQL store's follow the same rules). */
export function pageOf<T extends { id: string }>(ascending: readonly T[], query: PageQuery): ListPage<T> {
  const { limit, order, after, before } = query;
  const ordered = order === 'asc' ? ascending : [...ascending].reverse();
  // The window of candidates strictly between the cursors, in the requested order.
  const start = after === undefined ? 0 : cursorIndex(ordered, after, 'after') + 1;
  const end = before === undefined ? ordered.length : cursorIndex(ordered, before, 'before');
  let data: T[];
  let hasMore: boolean;
  if (before !== undefined && after === undefined) {
    // Paging backwards: the `limit` items closest to `before`; more exist further back.
    const from = Math.max(0, end - limit);
    data = ordered.slice(from, end);
    hasMore = from > 0;
  } else {
    const to = Math.min(Math.max(start, end), start + limit);
    data = ordered.slice(start, to);
    hasMore = to < end;
  }
  return listPage(data, hasMore);
}

/** A list object around `data`, its first and last ids. */
export function listPage<T extends { id: string }>(data: T[], hasMore: boolean): ListPage<T> {
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data[data.length - 1]?.id ?? null,
    has_more: hasMore,
  };
}
