/**
 * Cursor pagination over any list operation: follows `after` from page to page (100 per
 * page unless the request names a limit) and stops when `hasMore` is false, a page is
 * empty, or a page has no last id. A server that never stops (a cursor it already gave,
 * or more than MAX_PAGES pages) gets a PaginationError instead of an endless loop.
 */
import { PaginationError } from './errors.js';
import type { ListResponse } from './models.js';

export const PAGE_LIMIT = 100;
/** Pages read before a listing is taken for broken: 100,000 assistants at 100 a page. */
export const MAX_PAGES = 1_000;

/** What a listing is, for its errors: `GET /assistants` at the base URL. */
export interface ListingSource {
  path: string;
  baseUrl: string;
  /** Default MAX_PAGES. */
  maxPages?: number;
}

/** The list parameters every paginated request has. */
export interface CursorParams {
  limit?: number;
  after?: string;
}

export type ListPage<R, T> = (request: R) => Promise<ListResponse<T>>;

export class CursorPaginator<R extends CursorParams, T> implements AsyncIterable<T> {
  readonly #list: ListPage<R, T>;
  readonly #request: R;
  readonly #source: ListingSource;

  constructor(list: ListPage<R, T>, request: R, source: ListingSource) {
    this.#list = list;
    this.#request = request;
    this.#source = source;
  }

  /** Every page, in order. */
  async *pages(): AsyncGenerator<ListResponse<T>> {
    const maxPages = this.#source.maxPages ?? MAX_PAGES;
    let after = this.#request.after;
    const used = new Set<string>(after === undefined ? [] : [after]);
    for (let count = 1; ; count++) {
      const page = await this.#list({ ...this.#request, limit: this.#request.limit ?? PAGE_LIMIT, after });
      if (page.data.length === 0) return;
      yield page;
      if (!page.hasMore || page.lastId === null) return;
      if (used.has(page.lastId)) this.#fail(`repeated the cursor ${shown(page.lastId)} on page ${count}, so it would never end`);
      if (count >= maxPages) this.#fail(`did not end after ${maxPages.toLocaleString('en-US')} pages`);
      after = page.lastId;
      used.add(after);
    }
  }

  #fail(problem: string): never {
    throw new PaginationError({ method: 'GET', path: this.#source.path, baseUrl: this.#source.baseUrl, problem });
  }

  /** Every item of every page. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for await (const page of this.pages()) yield* page.data;
  }

  /** Every item of every page, collected. */
  async toArray(): Promise<T[]> {
    const items: T[] = [];
    for await (const item of this) items.push(item);
    return items;
  }
}

/** A cursor the server chose, safe in a one-line message: quoted, and cut short. */
function shown(cursor: string): string {
  return JSON.stringify(cursor.length > 64 ? `${cursor.slice(0, 64)}...` : cursor);
}
